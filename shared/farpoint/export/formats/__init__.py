"""Exports to labeling tools: COCO, Label Studio, CVAT, FiftyOne, plain CSV / JSON.

One registry (:data:`FORMATS`, in :mod:`.registry`) that the CLI (``farpoint export``,
``farpoint select --export``), the Python API (:func:`export_result`, ``farpoint.select(...,
export=...)``) and the REST API read; one module per format. Every export carries, for every pick,
the video context (source URI, frame index, timestamp) and an image URL the tool can reach:
``file://`` URLs (or ``image_base`` + the frame's name) for a local result, presigned URLs (or
``s3://``) for a result in a bucket. Files land under ``<result>/exports/``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from PIL import Image

from farpoint.errors import InputError, NotFoundError
from farpoint.export.formats.base import CONTEXT_FIELDS, ExportFormat, ExportItem
from farpoint.export.formats.registry import (
    FORMATS,
    format_names,
    get_format,
    get_writer,
    parse_formats,
)
from farpoint.export.manifest import Pick
from farpoint.store.base import Store

log = logging.getLogger(__name__)

EXPORTS_DIR = "exports/"
UrlFor = Callable[[str], str]  # full object key -> URL the labeling tool can reach


def default_url_for(store: Store, image_base: str | None = None, prefix: str = "") -> UrlFor:
    """How a frame's URL is made: ``image_base`` + its name under the result when given; else a
    ``file://`` URL for a local store, a presigned GET URL for a bucket."""
    if image_base:
        base = image_base.rstrip("/") + "/"
        return lambda key: base + key[len(prefix) :]

    def url(key: str) -> str:
        path = store.local_path(key)
        return path.as_uri() if path is not None else store.presign_get(key)

    return url


def export_items(
    store: Store, prefix: str, picks: Iterable[Pick], url_for: UrlFor
) -> list[ExportItem]:
    """The picks whose frame was written, as :class:`ExportItem` (size read from the JPEG)."""
    items = []
    skipped = 0
    for p in picks:
        if not p.file:
            skipped += 1
            continue
        key = prefix + p.file
        with store.open(key) as f, Image.open(f) as im:
            width, height = im.size
        items.append(
            ExportItem(
                rank=p.rank,
                source=p.source,
                frame_index=p.frame_index,
                timestamp_s=p.timestamp_s,
                distance=p.distance,
                file=p.file,
                url=url_for(key),
                width=width,
                height=height,
            )
        )
    if skipped:
        log.warning("%d pick(s) have no frame file and are left out of the exports", skipped)
    if not items:
        raise InputError(
            "nothing to export: no picked frame was written (run select without --no-frames)"
        )
    return items


def render_export(
    items: Sequence[ExportItem], manifest: dict[str, Any], name: str
) -> dict[str, bytes]:
    """Format ``name``'s files for ``items``, ``{name relative to exports/: bytes}`` (nothing
    written: the REST route answers with the main one)."""
    return get_writer(name)(items, manifest)


def write_exports(
    store: Store,
    prefix: str,
    picks: Sequence[Pick],
    manifest: dict[str, Any],
    formats: str | Iterable[str],
    *,
    url_for: UrlFor | None = None,
) -> dict[str, str]:
    """Write each format's files under ``<prefix>exports/``; return ``{format: main key}``."""
    names = parse_formats(formats)
    if not names:
        return {}
    items = export_items(store, prefix, picks, url_for or default_url_for(store))
    out: dict[str, str] = {}
    for name in names:
        for rel, data in render_export(items, manifest, name).items():
            store.put_bytes(f"{prefix}{EXPORTS_DIR}{rel}", data, _content_type(rel))
        out[name] = f"{prefix}{EXPORTS_DIR}{get_format(name).main}"
    return out


def _content_type(name: str) -> str:
    ext = name.rsplit(".", 1)[-1]
    return {
        "json": "application/json",
        "jsonl": "application/jsonl",
        "csv": "text/csv",
        "xml": "application/xml",
        "txt": "text/plain",
    }.get(ext, "application/octet-stream")


def read_picks(store: Store, prefix: str = "") -> tuple[dict[str, Any], list[Pick]]:
    """The manifest and its picks, from a result written by ``farpoint select``."""
    key = f"{prefix}manifest.json"
    try:
        manifest = json.loads(store.get_bytes(key))
    except NotFoundError:
        where = f"{getattr(store, 'root', store)}/{prefix}"
        raise NotFoundError(f"no manifest.json in {where} (not a select result)") from None
    except ValueError as exc:
        raise InputError(f"{key}: not a farpoint manifest ({exc})") from exc
    fields = {"rank", "source", "frame_index", "timestamp_s", "distance", "row", "file"}
    try:
        picks = [Pick(**{k: v for k, v in p.items() if k in fields}) for p in manifest["picks"]]
    except (KeyError, TypeError) as exc:
        raise InputError(f"{key}: not a farpoint manifest (bad picks: {exc})") from exc
    return manifest, picks


def export_result(
    out: Any,
    formats: str | Iterable[str],
    *,
    image_base: str | None = None,
) -> dict[str, str]:
    """Export a ``farpoint select`` result folder; return ``{format: path of its main file}``."""
    from pathlib import Path

    from farpoint.store.local import LocalStore

    root = Path(out).expanduser()
    if not root.is_dir():
        raise NotFoundError(f"{root}: no such result folder")
    store = LocalStore(root)
    manifest, picks = read_picks(store)
    keys = write_exports(
        store, "", picks, manifest, formats, url_for=default_url_for(store, image_base)
    )
    return {name: str(store.root / key) for name, key in keys.items()}


__all__ = [
    "CONTEXT_FIELDS",
    "EXPORTS_DIR",
    "FORMATS",
    "ExportFormat",
    "ExportItem",
    "default_url_for",
    "export_items",
    "export_result",
    "format_names",
    "get_format",
    "parse_formats",
    "read_picks",
    "render_export",
    "write_exports",
]
