"""One home per fact: the CLI, the job spec, the gateway's OpenAPI and the docs read the embedder
and selection-method registries (and the REST error reasons) instead of copies of them."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from farpoint.bus.memory import MemoryBus
from farpoint.cli import build_parser
from farpoint.embed.base import REGISTRY
from farpoint.normalize import METHODS as NORMALIZERS
from farpoint.security.responses import REASONS
from farpoint.selection.registry import METHODS
from farpoint.settings import Settings
from farpoint.store.local import LocalStore
from farpoint.train.methods import METHODS as TRAIN_METHODS
from services.common.context import ServiceContext
from services.gateway.app import create_app

ROOT = Path(__file__).resolve().parents[2]


def _choices(parser: argparse.ArgumentParser, command: str, option: str) -> list[str]:
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))  # noqa: SLF001
    action = next(a for a in sub.choices[command]._actions if option in a.option_strings)  # noqa: SLF001
    return list(action.choices or [])


def test_cli_choices_are_the_registries() -> None:
    parser = build_parser()
    assert _choices(parser, "select", "--embedder") == list(REGISTRY)
    assert _choices(parser, "select", "--method") == list(METHODS)
    assert _choices(parser, "select-vectors", "--method") == list(METHODS)
    assert _choices(parser, "select", "--normalize") == list(NORMALIZERS)


def test_openapi_enums_are_the_registries(tmp_path: Path) -> None:
    ctx = ServiceContext(
        settings=Settings(cache_dir=tmp_path / "cache"),
        store=LocalStore(tmp_path / "store"),
        bus=MemoryBus(),
    )
    spec = create_app(ctx).openapi()
    props = spec["components"]["schemas"]["SelectionSpec"]["properties"]
    assert props["embedder"]["enum"] == list(REGISTRY)
    assert props["method"]["enum"] == list(METHODS)
    assert props["normalize"]["enum"] == list(NORMALIZERS)
    assert props["k"]["maximum"] == ctx.settings.security.max_k
    train = spec["components"]["schemas"]["TrainSpec"]["properties"]
    assert train["kind"]["enum"] == list(TRAIN_METHODS)
    # every refusal any route documents is a known reason, in the one envelope
    for ops in spec["paths"].values():
        for op in ops.values():
            for status, response in op["responses"].items():
                if int(status) >= 400:
                    assert int(status) in REASONS, (status, op["operationId"])
                    ref = response["content"]["application/json"]["schema"]["$ref"]
                    assert ref.endswith("/ErrorOut")


def test_docs_list_the_registries_and_every_error_status() -> None:
    readme = (ROOT / "README.md").read_text()
    (synopsis,) = re.findall(r"--embedder ([a-z|]+)\]", readme)
    assert synopsis.split("|") == list(REGISTRY)
    api = (ROOT / "docs" / "api.md").read_text()
    for name in REGISTRY:
        assert f"`{name}`" in api
    documented = {int(s) for s in re.findall(r"^\| (\d{3}) \|", api, re.MULTILINE)}
    assert documented == set(REASONS)
