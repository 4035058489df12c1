"""The manifest: what was picked, from where, at what distance, and with which settings."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import asdict, dataclass
from typing import Any

from farpoint.store.base import Store

MANIFEST_VERSION = "farpoint.manifest/1"
CSV_FIELDS = ["rank", "source", "frame_index", "timestamp_s", "distance", "file"]


@dataclass
class Pick:
    """One selected frame. ``rank`` 0 is the first pick; ``distance`` is the covering radius
    at the moment it was picked (``None`` for the first pick and for random picks)."""

    rank: int
    source: str
    frame_index: int
    timestamp_s: float
    distance: float | None
    row: int
    file: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def manifest_csv(picks: list[Pick]) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=CSV_FIELDS, lineterminator="\n")
    writer.writeheader()
    for p in picks:
        writer.writerow({f: getattr(p, f) if getattr(p, f) is not None else "" for f in CSV_FIELDS})
    return buf.getvalue()


def write_manifest(store: Store, prefix: str, manifest: dict[str, Any], picks: list[Pick]) -> None:
    """Write ``manifest.json`` and ``manifest.csv`` under ``prefix``."""
    body = dict(manifest)
    body["version"] = MANIFEST_VERSION
    body["picks"] = [p.as_dict() for p in picks]
    store.put_bytes(
        f"{prefix}manifest.json",
        json.dumps(body, indent=2, default=str).encode(),
        "application/json",
    )
    store.put_bytes(f"{prefix}manifest.csv", manifest_csv(picks).encode(), "text/csv")
