"""The one registry of export formats: the CLI's ``--format`` / ``--export`` choices, the Python
API, the REST route's enum and docs/exports.md all read :data:`FORMATS`. Add a format by writing
its module (one per format, with a link to its published spec) and one entry here.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable

from farpoint.errors import InputError
from farpoint.export.formats.base import ExportFormat, Writer

FORMATS: dict[str, ExportFormat] = {
    f.name: f
    for f in (
        ExportFormat(
            "coco",
            "COCO images array with the video context per image",
            "pycocotools.coco.COCO; any COCO importer (CVAT, Label Studio, FiftyOne, Roboflow)",
            "https://cocodataset.org/#format-data",
            "coco.json",
            "application/json",
            "farpoint.export.formats.coco:write",
        ),
        ExportFormat(
            "label-studio",
            "Label Studio tasks JSON (image URL + video context in each task's data)",
            "Label Studio: Import into a project (label_studio_sdk)",
            "https://labelstud.io/guide/tasks",
            "label_studio.json",
            "application/json",
            "farpoint.export.formats.label_studio:write",
        ),
        ExportFormat(
            "cvat",
            "CVAT for images 1.1 XML (a tag per image with the video context) + image manifest",
            "CVAT: Upload annotations 'CVAT 1.1' (Datumaro's cvat importer)",
            "https://docs.cvat.ai/docs/manual/advanced/xml_format/",
            "cvat/annotations.xml",
            "application/xml",
            "farpoint.export.formats.cvat:write",
        ),
        ExportFormat(
            "fiftyone",
            "FiftyOne CSVDataset directory (labels.csv: filepath + video context fields)",
            "fo.Dataset.from_dir(..., dataset_type=fo.types.CSVDataset)",
            "https://docs.voxel51.com/user_guide/import_datasets.html#csvdataset",
            "fiftyone/labels.csv",
            "text/csv",
            "farpoint.export.formats.fiftyone:write",
        ),
        ExportFormat(
            "csv",
            "plain CSV: one row per pick (url, source, frame_index, timestamp_s, ...)",
            "spreadsheets, pandas",
            "RFC 4180",
            "picks.csv",
            "text/csv",
            "farpoint.export.formats.plain:write_csv",
        ),
        ExportFormat(
            "json",
            "plain JSON: {picks: [...]} with the same fields as the CSV",
            "scripts",
            "RFC 8259",
            "picks.json",
            "application/json",
            "farpoint.export.formats.plain:write_json",
        ),
    )
}


def format_names() -> tuple[str, ...]:
    """Every registered format, in registry order."""
    return tuple(FORMATS)


def get_format(name: str) -> ExportFormat:
    """The format called ``name`` (an :class:`InputError` names the choices)."""
    fmt = FORMATS.get(name)
    if fmt is None:
        raise InputError(f"unknown export format {name!r}; choose from {', '.join(FORMATS)}")
    return fmt


def get_writer(name: str) -> Writer:
    module, _, func = get_format(name).writer.partition(":")
    fn: Writer = getattr(importlib.import_module(module), func)
    return fn


def parse_formats(spec: str | Iterable[str] | None) -> list[str]:
    """``"coco,cvat"`` or ``["coco", "cvat"]`` -> checked, de-duplicated names; ``all`` = every."""
    if spec is None:
        return []
    parts = spec.split(",") if isinstance(spec, str) else [p for s in spec for p in s.split(",")]
    names = [p.strip().lower() for p in parts if p.strip()]
    if "all" in names:
        return list(FORMATS)
    for n in names:
        get_format(n)
    return list(dict.fromkeys(names))
