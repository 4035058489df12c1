"""Auto: :mod:`.timeline` on video frames, :mod:`.typiclust_fps` on image collections.

A dispatch rule, not a new selector: the input has a timeline when ``ctx.times`` is given and at
least one sequence (``ctx.groups``; one without them) holds two rows at different times — video
frames as :func:`farpoint.selection.frames.select_frames` passes them. Then the picks are
:mod:`.timeline`'s (equal-content-change pieces of each video: docs/quality.md's video coverage
table); otherwise (vectors without times, folders of images, which ingest as one-frame sources at
time 0) they are exactly :mod:`.typiclust_fps`'s: TypiClust (Hacohen et al., ICML 2022, arXiv
2202.02794) while ``k <= n / 20`` (``n``: distinct rows, near-copies not counted:
:mod:`.copies`), farthest point around its picks beyond (the linear-probe tables). The
labeled pool, quotas and time gaps go to the chosen method unchanged; ``info["auto"]`` names it.
Cost: that of the chosen method plus O(n log n) for the check.

A wholesale budget switch (TypiClust while ``n >= 20 k``, farthest point for *all* picks above)
was tried and rejected: on balanced data past the threshold FPS alone is below random;
``typiclust-fps`` keeps the TypiClust picks and spends only the budget beyond them on coverage
(docs/quality.md, "A budget rule for auto on images").
"""

from __future__ import annotations

import numpy as np

from farpoint.selection.base import Selection
from farpoint.selection.ranked import no_min_distance
from farpoint.selection.registry import MethodContext


def has_timeline(n: int, groups: np.ndarray | None, times: np.ndarray | None) -> bool:
    """True when some sequence holds two rows at different times (module docstring)."""
    if times is None:
        return False
    t = np.asarray(times, np.float64).reshape(-1)
    if t.shape[0] != n or n < 2:
        return False
    g = np.zeros(n, np.int64) if groups is None else np.asarray(groups).reshape(-1)
    if g.shape[0] != n:
        return False
    g = np.unique(g, return_inverse=True)[1].reshape(n)
    order = np.lexsort((t, g))
    same = g[order][1:] == g[order][:-1]
    return bool((same & (np.diff(t[order]) > 0)).any())


def run(x: np.ndarray, k: int, ctx: MethodContext) -> Selection:
    """``k`` picks by timeline (video frames) or typiclust-fps (anything else)."""
    no_min_distance(ctx.min_distance, "auto")
    if has_timeline(x.shape[0], ctx.groups, ctx.times):
        from farpoint.selection.timeline import run as inner

        chosen = "timeline"
    else:
        from farpoint.selection.typiclust_fps import run as inner

        chosen = "typiclust-fps"
    sel = inner(x, k, ctx)
    info = {**sel.info, "method": "auto", "auto": chosen}
    return Selection(sel.indices, sel.distances, stopped_early=sel.stopped_early, info=info)
