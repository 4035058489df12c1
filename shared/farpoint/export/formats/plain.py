"""Plain CSV and JSON: one row / object per pick with its image URL and video context.

For tools without a dedicated format (spreadsheets, scripts). Columns: ``rank``, ``source``,
``frame_index``, ``timestamp_s``, ``distance``, ``file``, ``url``, ``width``, ``height``;
the JSON is ``{"picks": [...]}`` with the same keys (RFC 4180 CSV, RFC 8259 JSON).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from typing import Any

from farpoint.export.formats.base import ExportItem, Files

CSV_FILE = "picks.csv"
JSON_FILE = "picks.json"
COLUMNS = (
    "rank",
    "source",
    "frame_index",
    "timestamp_s",
    "distance",
    "file",
    "url",
    "width",
    "height",
)


def write_csv(items: Sequence[ExportItem], manifest: dict[str, Any]) -> Files:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=COLUMNS, lineterminator="\n")
    w.writeheader()
    for item in items:
        d = item.as_dict()
        w.writerow({c: "" if d[c] is None else d[c] for c in COLUMNS})
    return {CSV_FILE: buf.getvalue().encode()}


def write_json(items: Sequence[ExportItem], manifest: dict[str, Any]) -> Files:
    body = {
        "n_frames": manifest.get("n_frames"),
        "picks": [{c: item.as_dict()[c] for c in COLUMNS} for item in items],
    }
    return {JSON_FILE: json.dumps(body, indent=1).encode()}
