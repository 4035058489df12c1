"""The Store contract on S3Store against a real S3 server (SeaweedFS from infra/up.sh, or any S3
named by FARPOINT_S3__*), plus what only the S3 store does: prefixes, multipart, errors."""

from __future__ import annotations

import io
import os
import socket
import uuid

import pytest
from minio import Minio

from farpoint.errors import ConfigError, TransientError
from farpoint.settings import S3Settings
from farpoint.store import S3Store
from tests.contracts.store_contract import BIG, PART, StoreContract

pytestmark = pytest.mark.integration

BUCKET = "farpoint-tests"


def _raw_client(s3: S3Settings) -> Minio:
    return Minio(
        s3.endpoint, access_key=s3.access_key, secret_key=s3.secret_key, secure=s3.secure,
        region=s3.region,
    )


@pytest.fixture
def small_parts(s3_settings: S3Settings) -> S3Settings:
    return s3_settings.model_copy(update={"part_size": PART})


class TestS3Store(StoreContract):
    @pytest.fixture
    def store(self, small_parts: S3Settings, unique_name: str) -> S3Store:
        return S3Store(small_parts, bucket=BUCKET, prefix=f"tests/{unique_name}")


def test_large_uploads_really_are_multipart(small_parts: S3Settings, unique_name: str) -> None:
    store = S3Store(small_parts, bucket=BUCKET, prefix=unique_name)
    store.put_stream("big", io.BytesIO(os.urandom(BIG)))
    store.put_bytes("small", b"tiny")
    raw = _raw_client(small_parts)
    big = raw.stat_object(BUCKET, f"{unique_name}/big")
    small = raw.stat_object(BUCKET, f"{unique_name}/small")
    # S3 gives a multipart object an ETag "<md5-of-md5s>-<number of parts>".
    assert big.etag is not None and big.etag.endswith("-3")
    assert small.etag is not None and "-" not in small.etag
    assert big.size == BIG


def test_tenant_and_job_prefixes_isolate_keys(small_parts: S3Settings, unique_name: str) -> None:
    root = S3Store(small_parts, bucket=BUCKET, prefix=unique_name)
    acme = root.scoped("tenants/acme")
    job = acme.scoped("jobs/j1")
    other = S3Store(small_parts, bucket=BUCKET, prefix=f"{unique_name}/tenants/globex")
    job.put_bytes("vectors/0.npy", b"v")
    acme.put_bytes("models/m.pt", b"m")
    other.put_bytes("models/m.pt", b"g")
    assert list(job.list()) == ["vectors/0.npy"]
    assert list(acme.list()) == ["jobs/j1/vectors/0.npy", "models/m.pt"]
    assert acme.get_bytes("models/m.pt") == b"m"
    assert other.get_bytes("models/m.pt") == b"g"
    assert list(other.list()) == ["models/m.pt"]
    assert sorted(root.list()) == [
        "tenants/acme/jobs/j1/vectors/0.npy",
        "tenants/acme/models/m.pt",
        "tenants/globex/models/m.pt",
    ]
    names = {o.object_name for o in _raw_client(small_parts).list_objects(
        BUCKET, prefix=f"{unique_name}/", recursive=True)}
    assert f"{unique_name}/tenants/acme/jobs/j1/vectors/0.npy" in names
    assert job.local_path("vectors/0.npy") is None


def test_missing_bucket_is_created(s3_settings: S3Settings) -> None:
    bucket = f"farpoint-new-{uuid.uuid4().hex[:10]}"
    raw = _raw_client(s3_settings)
    assert not raw.bucket_exists(bucket)
    store = S3Store.from_settings(s3_settings, bucket=bucket)
    try:
        assert raw.bucket_exists(bucket)
        store.put_bytes("k", b"v")
        assert store.get_bytes("k") == b"v"
    finally:
        store.delete("k")
        raw.remove_bucket(bucket)


def test_wrong_secret_is_a_config_error(s3_settings: S3Settings) -> None:
    bad = s3_settings.model_copy(update={"secret_key": "not-the-secret"})
    with pytest.raises(ConfigError, match="FARPOINT_S3__SECRET_KEY"):
        S3Store(bad, bucket=BUCKET)


def test_unreachable_server_is_transient(s3_settings: S3Settings) -> None:
    with socket.socket() as s:  # a port that was free a moment ago: nothing listens there
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    dead = s3_settings.model_copy(update={"endpoint": f"127.0.0.1:{port}", "timeout_s": 2.0})
    with pytest.raises(TransientError) as info:
        S3Store(dead, bucket=BUCKET)
    assert info.value.retryable
