"""Exports for labeling tools, each loaded by the tool's own library where it installs offline.

One real ``farpoint select`` result (a video and two still images, frames from the second
decoding pass) is exported in every registered format; each test loads its format with the
target tool's loader (pycocotools, label_studio_sdk, Datumaro's CVAT importer; FiftyOne's
documented CSVDataset layout, since fiftyone itself does not install here) and checks that for
every pick the video context (source, frame index, timestamp) survives and the image URL opens
and decodes to the very frame farpoint wrote.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import threading
import urllib.request
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import numpy as np
import pytest
from PIL import Image

import farpoint
from farpoint.cli import build_parser, main
from farpoint.errors import InputError
from farpoint.export.formats import FORMATS, parse_formats
from farpoint.export.formats.cvat import ATTRIBUTES
from farpoint.export.formats.fiftyone import COLUMNS as FO_COLUMNS
from farpoint.export.formats.label_studio import LABEL_CONFIG
from farpoint.export.formats.plain import COLUMNS as PLAIN_COLUMNS
from tests.data import bikes_small, fixture_images

K = 6


@pytest.fixture(scope="module")
def result(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[dict[str, Any]]]:
    """A real select result with every export; returns (folder, manifest picks by rank)."""
    out = tmp_path_factory.mktemp("exports") / "out"
    inputs = [bikes_small(), *fixture_images()[:2]]
    farpoint.select(
        inputs, K, out, embedder="pixels", normalize="none", fps=2, report=False, export="all"
    )
    picks = json.loads((out / "manifest.json").read_text())["picks"]
    assert len(picks) == K and all(p["file"] for p in picks)
    return out, sorted(picks, key=lambda p: p["rank"])


def _fetch(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=10) as r:  # noqa: S310 - file:// and loopback http
        return bytes(r.read())


def _assert_same_frame(data: bytes, out: Path, pick: dict[str, Any]) -> None:
    """The bytes behind an export's URL decode to the frame farpoint wrote for ``pick``."""
    want = (out / pick["file"]).read_bytes()
    assert hashlib.sha256(data).digest() == hashlib.sha256(want).digest()
    with Image.open(io.BytesIO(data)) as im:
        assert im.format == "JPEG" and np.asarray(im).std() > 5


def _assert_context(got: dict[str, Any], pick: dict[str, Any]) -> None:
    assert got["source"] == pick["source"]
    assert int(got["frame_index"]) == pick["frame_index"]
    assert float(got["timestamp_s"]) == pytest.approx(pick["timestamp_s"])
    assert int(got["rank"]) == pick["rank"]
    if pick["distance"] is None:
        assert got["distance"] in (None, "")
    else:
        assert float(got["distance"]) == pytest.approx(pick["distance"])


def test_the_result_mixes_videos_and_stills(result: tuple[Path, list[dict[str, Any]]]) -> None:
    _, picks = result
    sources = {p["source"] for p in picks}
    assert str(bikes_small()) in sources, "no video frame was picked: the context is untested"
    assert any(p["frame_index"] > 0 for p in picks)


def test_coco_loads_in_pycocotools(result: tuple[Path, list[dict[str, Any]]]) -> None:
    from pycocotools.coco import COCO

    out, picks = result
    coco = COCO(str(out / "exports" / "coco.json"))
    ids = coco.getImgIds()
    assert len(ids) == K
    for img in coco.loadImgs(ids):
        pick = picks[img["rank"]]
        _assert_context(img, pick)
        assert img["file_name"] == pick["file"] and (out / img["file_name"]).is_file()
        _assert_same_frame(_fetch(img["coco_url"]), out, pick)
        with Image.open(out / img["file_name"]) as im:
            assert im.size == (img["width"], img["height"])


def test_label_studio_tasks_validate_in_the_sdk(result: tuple[Path, list[dict[str, Any]]]) -> None:
    from label_studio_sdk.label_interface import LabelInterface

    out, picks = result
    tasks = json.loads((out / "exports" / "label_studio.json").read_text())
    interface = LabelInterface(LABEL_CONFIG)
    assert len(tasks) == K
    for task in tasks:
        assert interface.validate_task(task), task
        pick = picks[task["data"]["rank"]]
        _assert_context(task["data"], pick)
        _assert_same_frame(_fetch(task["data"]["image"]), out, pick)
    # The check can fail: a task without the image the config names is refused.
    assert not interface.validate_task({"data": {"picture": tasks[0]["data"]["image"]}})


def test_cvat_xml_imports_with_datumaro(result: tuple[Path, list[dict[str, Any]]]) -> None:
    from datumaro.components.dataset import Dataset

    out, picks = result
    xml = out / "exports" / "cvat" / "annotations.xml"
    dataset = Dataset.import_from(str(xml), "cvat")
    assert len(dataset) == K
    by_file = {p["file"].rsplit(".", 1)[0]: p for p in picks}
    for item in dataset:
        pick = by_file[item.id]
        (tag,) = item.annotations
        assert set(tag.attributes) == set(ATTRIBUTES)
        _assert_context(tag.attributes, pick)
        _assert_same_frame(_fetch(tag.attributes["image_url"]), out, pick)
    # The images are those of the task: names and sizes match the frames.
    for image in ET.parse(xml).getroot().iter("image"):
        with Image.open(out / image.attrib["name"]) as im:
            assert im.size == (int(image.attrib["width"]), int(image.attrib["height"]))
    lines = (out / "exports" / "cvat" / "manifest.jsonl").read_text().splitlines()
    head, body = [json.loads(x) for x in lines[:2]], [json.loads(x) for x in lines[2:]]
    assert head == [{"version": "1.1"}, {"type": "images"}] and len(body) == K
    for entry in body:
        pick = picks[entry["meta"]["rank"]]
        assert entry["name"] + entry["extension"] == pick["file"]
        _assert_context(entry["meta"], pick)
    urls = (out / "exports" / "cvat" / "urls.txt").read_text().split()
    assert len(urls) == K and all(u.startswith("file://") for u in urls)


def test_fiftyone_csv_dataset_layout(result: tuple[Path, list[dict[str, Any]]]) -> None:
    """FiftyOne's CSVDataset: ``labels.csv`` with a ``filepath`` column (absolute, or relative to
    ``data/``); every other column is a field, parsed by the parsers the import names."""
    out, picks = result
    labels = out / "exports" / "fiftyone" / "labels.csv"
    with labels.open(newline="") as f:
        reader = csv.DictReader(f)
        assert reader.fieldnames is not None and "filepath" in reader.fieldnames
        assert tuple(reader.fieldnames) == FO_COLUMNS
        rows = list(reader)
    parsers = {"frame_index": int, "timestamp_s": float, "rank": int, "distance": float}
    assert len(rows) == K
    for row in rows:
        path = Path(row.pop("filepath"))
        assert path.is_absolute() and path.is_file()
        fields = {k: parsers.get(k, str)(v) for k, v in row.items() if v}
        pick = picks[fields["rank"]]
        _assert_context({"distance": None, **fields}, pick)
        _assert_same_frame(path.read_bytes(), out, pick)


def test_plain_csv_and_json(result: tuple[Path, list[dict[str, Any]]]) -> None:
    out, picks = result
    rows = list(csv.DictReader(io.StringIO((out / "exports" / "picks.csv").read_text())))
    objs = json.loads((out / "exports" / "picks.json").read_text())["picks"]
    assert len(rows) == len(objs) == K
    assert list(rows[0]) == list(PLAIN_COLUMNS) == list(objs[0])
    for row, obj in zip(rows, objs, strict=True):
        pick = picks[obj["rank"]]
        _assert_context(row, pick)
        _assert_context(obj, pick)
        assert row["url"] == obj["url"]
        _assert_same_frame(_fetch(obj["url"]), out, pick)


def test_cli_export_with_an_http_image_base(
    result: tuple[Path, list[dict[str, Any]]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``farpoint export DIR --format F --image-base URL``: URLs a labeling tool fetches over
    HTTP (here a real HTTP server on loopback serving the result folder)."""
    out, picks = result
    handler = partial(SimpleHTTPRequestHandler, directory=str(out))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        base = f"http://127.0.0.1:{server.server_address[1]}/"
        argv = ["export", str(out), "--format", "label-studio,coco", "--image-base", base]
        assert main(argv) == 0
        printed = capsys.readouterr().out
        assert "label-studio:" in printed and "coco:" in printed
        tasks = json.loads((out / "exports" / "label_studio.json").read_text())
        for task in tasks:
            assert task["data"]["image"].startswith(base)
            _assert_same_frame(_fetch(task["data"]["image"]), out, picks[task["data"]["rank"]])
    finally:
        server.shutdown()
        server.server_close()
        main(["export", str(out), "--format", "label-studio,coco"])  # back to file:// URLs


def test_cli_export_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["export", str(tmp_path / "nope")]) == 3
    assert "no such result folder" in capsys.readouterr().err
    (tmp_path / "manifest.json").write_text("{not json")
    assert main(["export", str(tmp_path)]) == 2
    assert "not a farpoint manifest" in capsys.readouterr().err
    (tmp_path / "manifest.json").write_text(json.dumps({"picks": []}))
    assert main(["export", str(tmp_path), "--format", "pdf"]) == 2
    assert "unknown export format 'pdf'" in capsys.readouterr().err
    assert main(["export", str(tmp_path), "--format", "coco"]) == 2
    assert "nothing to export" in capsys.readouterr().err


def test_select_refuses_a_bad_format_before_any_work(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="unknown export format"):
        farpoint.select([tmp_path / "missing.mp4"], 3, tmp_path, export="coco,nope")
    with pytest.raises(InputError, match="exports need the picked frames"):
        farpoint.select([bikes_small()], 3, tmp_path, frames=False, export="coco")


def test_one_registry_feeds_the_cli() -> None:
    assert parse_formats("all") == list(FORMATS)
    assert parse_formats(" COCO , cvat,coco") == ["coco", "cvat"]
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    for command in ("export", "select"):
        text = sub.choices[command].format_help()  # type: ignore[union-attr]
        for name in FORMATS:
            assert name in text, f"farpoint {command} --help does not list {name}"
