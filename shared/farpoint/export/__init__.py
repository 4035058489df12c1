"""Export: only the picks — JPEG frames, manifest.json / manifest.csv, report.html — and the
labeling-tool formats (COCO, Label Studio, CVAT, FiftyOne, CSV/JSON) in :mod:`.formats`."""

from farpoint.export.formats import FORMATS, export_result, write_exports
from farpoint.export.frames import export_frames
from farpoint.export.manifest import Pick, write_manifest
from farpoint.export.report import write_report
from farpoint.selection.budget import covering_radius_curve

__all__ = [
    "FORMATS",
    "Pick",
    "covering_radius_curve",
    "export_frames",
    "export_result",
    "write_exports",
    "write_manifest",
    "write_report",
]
