"""Export: only the picks — JPEG frames, manifest.json / manifest.csv, report.html."""

from farpoint.export.frames import export_frames
from farpoint.export.manifest import Pick, write_manifest
from farpoint.export.report import covering_radius_curve, write_report

__all__ = ["Pick", "covering_radius_curve", "export_frames", "write_manifest", "write_report"]
