"""CVAT: "CVAT for images 1.1" annotations XML plus the task's image manifest (manifest.jsonl).

Formats: https://docs.cvat.ai/docs/manual/advanced/xml_format/ (annotations) and
https://docs.cvat.ai/docs/manual/advanced/dataset_manifest/ (manifest). The XML declares one tag
label, ``farpoint_pick``, whose text attributes carry the video context (``source``,
``frame_index``, ``timestamp_s``, ``rank``, ``distance``) and the image URL; every ``<image>``
(``name`` = the frame's path in the result, ``width``, ``height``) holds one such tag. CVAT
imports the XML into a task made from the same images (upload ``frames/``, or the URLs in
``urls.txt`` as remote files, or the manifest with cloud storage). Checked by loading it with
Datumaro's CVAT importer (the library CVAT itself uses for its formats).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import PurePosixPath
from typing import Any
from xml.etree import ElementTree as ET

from farpoint.export.formats.base import CONTEXT_FIELDS, ExportItem, Files

LABEL = "farpoint_pick"
ATTRIBUTES = (*CONTEXT_FIELDS, "image_url")
XML = "cvat/annotations.xml"
MANIFEST = "cvat/manifest.jsonl"
URLS = "cvat/urls.txt"


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def annotations_xml(items: Sequence[ExportItem]) -> bytes:
    root = ET.Element("annotations")
    ET.SubElement(root, "version").text = "1.1"
    task = ET.SubElement(ET.SubElement(root, "meta"), "task")
    for field, value in (
        ("id", "0"),
        ("name", "farpoint picks"),
        ("size", str(len(items))),
        ("mode", "annotation"),
        ("overlap", "0"),
        ("created", datetime.now(UTC).isoformat()),
    ):
        ET.SubElement(task, field).text = value
    label = ET.SubElement(ET.SubElement(task, "labels"), "label")
    ET.SubElement(label, "name").text = LABEL
    attrs = ET.SubElement(label, "attributes")
    for name in ATTRIBUTES:
        a = ET.SubElement(attrs, "attribute")
        ET.SubElement(a, "name").text = name
        ET.SubElement(a, "mutable").text = "False"
        ET.SubElement(a, "input_type").text = "text"
        ET.SubElement(a, "default_value").text = ""
        ET.SubElement(a, "values").text = ""
    for i, item in enumerate(items):
        image = ET.SubElement(
            root,
            "image",
            id=str(i),
            name=item.file,
            width=str(item.width),
            height=str(item.height),
        )
        tag = ET.SubElement(image, "tag", label=LABEL, source="auto")
        values = {**item.context(), "image_url": item.url}
        for name in ATTRIBUTES:
            ET.SubElement(tag, "attribute", name=name).text = _text(values[name])
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"


def manifest_jsonl(items: Sequence[ExportItem]) -> bytes:
    lines: list[dict[str, Any]] = [{"version": "1.1"}, {"type": "images"}]
    for item in items:
        p = PurePosixPath(item.file)
        lines.append(
            {
                "name": str(p.with_suffix("")),
                "extension": p.suffix,
                "width": item.width,
                "height": item.height,
                "meta": {"url": item.url, **item.context()},
            }
        )
    return "".join(json.dumps(line) + "\n" for line in lines).encode()


def write(items: Sequence[ExportItem], manifest: dict[str, Any]) -> Files:
    return {
        XML: annotations_xml(items),
        MANIFEST: manifest_jsonl(items),
        URLS: "".join(f"{item.url}\n" for item in items).encode(),
    }
