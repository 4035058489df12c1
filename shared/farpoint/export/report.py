"""report.html: a contact sheet of the picks, a 2-D map of all frames with the picks marked, the
covering radius against k for farthest point versus random selection, and the frames the quality
filter dropped per reason (:mod:`farpoint.quality`)."""

from __future__ import annotations

import html
import io
import logging
from typing import Any

import numpy as np

from farpoint.export.embedding_map import coverage_curves, map_2d
from farpoint.export.manifest import Pick
from farpoint.store.base import Store

log = logging.getLogger(__name__)


def _png(fig) -> bytes:  # type: ignore[no-untyped-def]
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, bbox_inches="tight")
    return buf.getvalue()


def write_report(
    store: Store,
    prefix: str,
    normalized: np.ndarray,
    picks: list[Pick],
    summary: dict[str, Any],
    *,
    seed: int = 0,
    max_curve_points: int = 200_000,
    filtered: dict[str, Any] | None = None,
) -> str:
    """Write report.html (+ scatter.png, coverage.png) under ``prefix``; return the html key.

    ``filtered`` is the manifest's ``"quality"`` entry (:meth:`farpoint.quality.QualityReport.
    as_dict`): shown as the "Frames filtered" table.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = np.array([p.row for p in picks], dtype=np.int64)
    x = np.asarray(normalized, np.float32)

    # 2-D map: PCA of the normalized space (cheap, deterministic; the console draws the same).
    xy = map_2d(x, seed)
    fig, ax = plt.subplots(figsize=(7, 5))
    ax.scatter(xy[:, 0], xy[:, 1], s=3, c="#bbbbbb", label=f"all frames ({len(x)})", linewidths=0)
    ax.scatter(xy[rows, 0], xy[rows, 1], s=14, c="#d62728", label=f"picks ({len(rows)})")
    ax.set_title("All frames (PCA of the normalized space), picks in red")
    ax.legend(loc="best", fontsize=8)
    store.put_bytes(f"{prefix}scatter.png", _png(fig), "image/png")
    plt.close(fig)

    # Covering radius vs k, farthest point against random.
    fps_curve, rand_curve = coverage_curves(x, rows, seed, max_curve_points)
    ks = np.arange(1, len(rows) + 1)
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.plot(ks, fps_curve, label="farthest point", c="#d62728")
    ax.plot(ks, rand_curve, label="random", c="#1f77b4")
    ax.set_xlabel("k (frames picked)")
    ax.set_ylabel("covering radius")
    ax.set_yscale("log")
    ax.set_title("Largest distance from any frame to its nearest pick")
    ax.legend()
    store.put_bytes(f"{prefix}coverage.png", _png(fig), "image/png")
    plt.close(fig)

    cells = []
    for p in picks:
        if p.file is None:
            continue
        cap = f"#{p.rank} {html.escape(p.source.split('/')[-1])} @ {p.timestamp_s:.1f}s"
        cells.append(
            f'<figure><img src="{html.escape(p.file)}" loading="lazy" alt="{cap}">'
            f"<figcaption>{cap}</figcaption></figure>"
        )
    items = "".join(
        f"<tr><th>{html.escape(str(k))}</th><td>{html.escape(str(v))}</td></tr>"
        for k, v in summary.items()
    )
    filtered_html = _filtered_table(filtered)
    doc = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>farpoint report</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2em; color: #222; }}
table {{ border-collapse: collapse; margin-bottom: 1.5em; }}
th, td {{ text-align: left; padding: 2px 10px; border-bottom: 1px solid #eee; font-size: 14px; }}
.sheet {{ display: flex; flex-wrap: wrap; gap: 6px; }}
figure {{ margin: 0; width: 160px; }} figure img {{ width: 160px; display: block; }}
figcaption {{ font-size: 11px; color: #555; overflow: hidden; white-space: nowrap; }}
</style></head><body>
<h1>farpoint: {len(picks)} frames picked of {len(x)}</h1>
<table>{items}</table>
{filtered_html}
<h2>Coverage</h2><img src="coverage.png" alt="covering radius vs k">
<h2>Where the picks sit</h2><img src="scatter.png" alt="scatter of frames">
<h2>Contact sheet (pick order)</h2><div class="sheet">{"".join(cells)}</div>
</body></html>
"""
    key = f"{prefix}report.html"
    store.put_bytes(key, doc.encode(), "text/html")
    return key


def _filtered_table(filtered: dict[str, Any] | None) -> str:
    """The "Frames filtered" section: frames dropped per reason by the quality filter."""
    if not filtered:
        return ""
    if not filtered.get("enabled", True):
        return "<h2>Frames filtered</h2><p>The quality filter was off: every frame was kept.</p>"
    dropped = filtered.get("dropped", {})
    rows = "".join(
        f"<tr><th>{html.escape(str(reason))}</th><td>{int(count)}</td></tr>"
        for reason, count in dropped.items()
    )
    kept, seen = filtered.get("frames_kept", 0), filtered.get("frames_in", 0)
    return (
        f"<h2>Frames filtered</h2><p>{kept} of {seen} decoded frames kept; dropped per reason "
        "(undecodable: frames the decoder could not produce):</p>"
        f'<table class="filtered"><tr><th>reason</th><th>frames</th></tr>{rows}</table>'
    )
