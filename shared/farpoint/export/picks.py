"""The export stage: turn a selection into picks and write frames, manifest and report."""

from __future__ import annotations

from typing import Any

import numpy as np

from farpoint.export.frames import export_frames
from farpoint.export.manifest import Pick, write_manifest
from farpoint.export.report import write_report
from farpoint.ingest.table import FrameTable
from farpoint.selection import copies
from farpoint.selection.base import Selection
from farpoint.store.base import Store


def make_picks(table: FrameTable, selection: Selection) -> list[Pick]:
    """One :class:`Pick` per selected row, in pick order, with where the frame came from."""
    picks = []
    for rank, (row, dist) in enumerate(zip(selection.indices, selection.distances, strict=True)):
        d = float(dist)
        picks.append(
            Pick(
                rank=rank,
                source=table.sources[int(row)],
                frame_index=int(table.indices[int(row)]),
                timestamp_s=round(float(table.timestamps[int(row)]), 4),
                distance=None if not np.isfinite(d) else round(d, 6),
                row=int(row),
            )
        )
    return picks


def method_label(manifest: dict[str, Any]) -> str | None:
    """The method as the report shows it: ``auto (typiclust-fps)`` when ``auto`` chose."""
    method = manifest.get("settings", {}).get("method")
    chosen = manifest.get("selection", {}).get("auto")
    return f"{method} ({chosen})" if chosen else method


def near_copy_label(manifest: dict[str, Any]) -> str | None:
    """The near-copy share the selection measured (:mod:`farpoint.selection.copies`), as the
    report shows it, e.g. ``37 % of the rows; 1,360 rows counted as distinct``; None without it."""
    sel = manifest.get("selection", {})
    share = sel.get("near_copy_share")
    if share is None:
        return None
    text = f"{100 * float(share):.0f} % of the rows"
    distinct = sel.get("distinct_rows")
    if distinct is not None and share >= copies.SHARE:
        text += f"; {int(distinct):,} rows counted as distinct"
    return text


def export_selection(
    store: Store,
    prefix: str,
    table: FrameTable,
    selection: Selection,
    normalized: np.ndarray,
    manifest: dict[str, Any],
    *,
    frames: bool = True,
    report: bool = True,
    progress: bool = True,
    seed: int = 0,
) -> tuple[list[Pick], str | None]:
    """Write the picked frames, manifest and report under ``prefix`` of ``store``."""
    picks = make_picks(table, selection)
    if frames:
        pts = [table.pts_of(p.row) for p in picks]
        export_frames(store, prefix, picks, progress=progress, pts=pts)
    write_manifest(store, prefix, manifest, picks)
    report_key = None
    if report:
        summary = {
            "frames seen": len(table),
            "frames picked": len(picks),
            "embedder": manifest.get("embedder", {}).get("name"),
            "normalization": manifest.get("normalize", {}).get("method"),
            "method": method_label(manifest),
            "sources": len(set(table.sources)),
        }
        copies_seen = near_copy_label(manifest)
        if copies_seen is not None:
            summary["near-copies"] = copies_seen
        report_key = write_report(
            store, prefix, normalized, picks, summary, seed=seed, filtered=manifest.get("quality")
        )
    return picks, report_key
