"""COCO: an ``images`` array (no annotations yet), loadable by ``pycocotools.coco.COCO``.

Format: https://cocodataset.org/#format-data (``info``, ``licenses``, ``images``,
``annotations``, ``categories``). Each image has the standard ``id``, ``file_name`` (relative to
the result root, where ``frames/`` lives), ``width``, ``height`` and ``coco_url`` (where a tool
fetches it), plus the video context as extra keys, which COCO readers keep: ``source``,
``frame_index``, ``timestamp_s``, ``rank``, ``distance``. ``annotations`` and ``categories`` are
empty lists: the labeling tool fills them.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from farpoint.export.formats.base import ExportItem, Files

FILE = "coco.json"


def write(items: Sequence[ExportItem], manifest: dict[str, Any]) -> Files:
    images = []
    for i, item in enumerate(items, start=1):
        images.append(
            {
                "id": i,
                "file_name": item.file,
                "width": item.width,
                "height": item.height,
                "coco_url": item.url,
                "date_captured": "",
                "license": 0,
                **item.context(),
            }
        )
    doc = {
        "info": {
            "description": "farpoint picks: the most diverse frames to label",
            "version": str(manifest.get("version", "")),
            "year": datetime.now(UTC).year,
            "contributor": "farpoint",
            "date_created": datetime.now(UTC).strftime("%Y-%m-%d"),
        },
        "licenses": [],
        "images": images,
        "annotations": [],
        "categories": [],
    }
    return {FILE: json.dumps(doc, indent=1).encode()}
