"""One s3:// parser (farpoint.store.uri): model inputs, model outputs and media inputs agree on
what a bucket, a key and a bad URI are."""

from __future__ import annotations

import shutil

import pytest

from farpoint.errors import InputError
from farpoint.store.uri import fetch_to_local, is_s3_uri, parse_s3_object, parse_s3_uri
from farpoint.train.output import ModelOutput


def test_parse_bucket_key_and_prefix() -> None:
    assert parse_s3_uri("s3://media/drives/day1/") == ("media", "drives/day1/")
    assert parse_s3_uri("s3://media") == ("media", "")
    assert parse_s3_object("s3://models/t/swav.pt") == ("models", "t/swav.pt")
    assert is_s3_uri("s3://b/k") and not is_s3_uri("b/k")


@pytest.mark.parametrize("uri", ["s3://", "s3:///k", "s3://b", "s3://b/", "s3://b/x/../k"])
def test_bad_object_uris_are_one_input_error_everywhere(uri: str) -> None:
    for use in (parse_s3_object, fetch_to_local, ModelOutput.of):
        with pytest.raises(InputError, match="expected s3://bucket/key"):
            use(uri)


def test_model_output_to_s3_writes_a_local_file_first() -> None:
    out = ModelOutput.of("s3://models/tenant/model.pt")
    shutil.rmtree(out.local.parent)  # the temp folder the model is written to first
    assert out.remote and out.local.name == "model.pt" and out.result() == out.target
    assert not ModelOutput.of("model.pt").remote
