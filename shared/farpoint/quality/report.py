"""What the quality filter dropped: counts per reason, in total and per source.

The manifest carries :meth:`QualityReport.as_dict` under ``"quality"``; report.html shows it as
the "Frames filtered" table. ``undecodable`` frames never reached the filter: they are counted
from the decoders' reports (packets that failed to decode plus frames missing from a truncated
stream, at the source's own frame rate; images and archive members that failed to decode).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from farpoint.ingest.frame import DecodeReport
from farpoint.quality.thresholds import CHECKS, QualitySettings

REASONS: tuple[str, ...] = (*CHECKS, "undecodable")


@dataclass
class QualityReport:
    """Frames seen and kept, and frames dropped per reason (in :data:`REASONS` order)."""

    settings: QualitySettings = field(default_factory=QualitySettings)
    frames_in: int = 0
    frames_kept: int = 0
    dropped: dict[str, int] = field(default_factory=lambda: dict.fromkeys(REASONS, 0))
    by_source: dict[str, dict[str, int]] = field(default_factory=dict)

    def count(self, source: str, reason: str | None) -> None:
        """Record one frame of ``source``: kept (``reason`` None) or dropped for ``reason``."""
        self.frames_in += 1
        if reason is None:
            self.frames_kept += 1
            return
        self.dropped[reason] += 1
        per = self.by_source.setdefault(source, {})
        per[reason] = per.get(reason, 0) + 1

    def add_decode_reports(self, reports: Iterable[DecodeReport]) -> None:
        """Count the frames the decoders could not produce as ``undecodable``."""
        for r in reports:
            lost = int(r.errors) + int(r.missing)
            if lost:
                self.dropped["undecodable"] += lost
                per = self.by_source.setdefault(r.source, {})
                per["undecodable"] = per.get("undecodable", 0) + lost

    @property
    def n_dropped(self) -> int:
        """Decoded frames the filter dropped (undecodable ones excluded: never decoded)."""
        return self.frames_in - self.frames_kept

    def summary(self) -> str:
        """``dark 3, frozen 12`` (reasons with a count only), or ``none``."""
        parts = [f"{k} {v}" for k, v in self.dropped.items() if v]
        return ", ".join(parts) or "none"

    def as_dict(self, rename: dict[str, str] | None = None) -> dict[str, Any]:
        """For the manifest; ``rename`` maps source names (e.g. local paths -> media ids)."""
        rename = rename or {}
        return {
            "enabled": self.settings.enabled,
            "frames_in": self.frames_in,
            "frames_kept": self.frames_kept,
            "dropped": dict(self.dropped),
            "by_source": {rename.get(s, s): dict(v) for s, v in self.by_source.items()},
            "settings": self.settings.model_dump(),
        }
