"""FiftyOne: a ``CSVDataset`` directory (``labels.csv``) that ``fo.Dataset.from_dir`` imports.

Format: https://docs.voxel51.com/user_guide/import_datasets.html#csvdataset — a ``labels.csv``
whose ``filepath`` column names each sample's media (absolute, or relative to ``data/``) and whose
other columns become sample fields. Import with::

    fo.Dataset.from_dir("exports/fiftyone", dataset_type=fo.types.CSVDataset,
                        fields={"source": None, "frame_index": int, "timestamp_s": float,
                                "rank": int, "distance": float, "url": None})

``filepath`` is the frame's local path when it has one (the CLI), else its URL (``s3://`` for
FiftyOne Enterprise's cloud media). FiftyOne itself is not a test dependency (its wheel needs
MongoDB and pins an older Starlette than the gateway's), so the tests hold the file to this
documented layout and parse it with FiftyOne's documented column parsers.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any
from urllib.parse import unquote, urlparse

from farpoint.export.formats.base import CONTEXT_FIELDS, ExportItem, Files

FILE = "fiftyone/labels.csv"
COLUMNS = ("filepath", *CONTEXT_FIELDS, "url", "width", "height")


def media_path(url: str) -> str:
    """A ``file://`` URL as the local path FiftyOne wants; any other URL as it is."""
    parsed = urlparse(url)
    return unquote(parsed.path) if parsed.scheme == "file" else url


def write(items: Sequence[ExportItem], manifest: dict[str, Any]) -> Files:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    w.writerow(COLUMNS)
    for item in items:
        row = {"filepath": media_path(item.url), **item.as_dict()}
        w.writerow(["" if row[c] is None else row[c] for c in COLUMNS])
    return {FILE: buf.getvalue().encode()}
