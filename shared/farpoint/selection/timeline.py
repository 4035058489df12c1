"""Timeline: equal-content-change pieces of each video, the most typical frame of each piece.

Arc-length (equal cumulative change) sampling of the video trajectory. A video is a curve in
feature space (DeMenthon, Kobla, Doermann, *Video Summarization by Curve Simplification*, ACM
Multimedia 1998); splitting a shot into parts of equal cumulative activity and taking one frame
per part gives more keyframes where more happens and fewer on static footage (Divakaran,
Radhakrishnan, Peker, *Motion activity-based extraction of key-frames from video shots*, ICIP
2002, who use MPEG-7 motion activity and the middle frame of each part). Here the activity is the
embedding itself and the frame of a part is its most typical one (TypiClust's typicality, Hacohen
et al., ICML 2022, arXiv 2202.02794), so picks are representative of their part and never a
one-off glitch frame.

Algorithm. Rows are grouped into sequences (``ctx.groups``: one per video; one sequence without
them) ordered by ``ctx.times`` (row order without times). Within a sequence the step into frame
``i`` is ``u_i = min(||x_i - x_{i-1}||, c_g) + TIME_WEIGHT * r * min(dt_i, e_g)``: the embedding
step clipped at the sequence's :data:`CLIP_PERCENTILE`-th percentile step ``c_g`` (one glitch
or cut cannot eat the budget), plus a time term (``r`` = total clipped change / total duration
over all sequences, ``dt`` clipped likewise), so static footage falls back to equal time. The
budget is split over sequences in proportion to their arc length ``sum u_i`` plus one mean step
(largest remainder, at most ``min(frames, group_quota)`` each). A sequence of ``q`` picks is cut
into ``q`` consecutive pieces of equal arc length (boundaries at the first frame whose
cumulative arc reaches ``j U / q``, moved so that every piece keeps at least one frame). Each
piece's frames are ranked by typicality ``1 / mean kNN distance`` within the piece (``K =
min(20, size - 1)``; a piece above :data:`CAP` frames scores ``CAP`` evenly spaced frames
against each other, the rest follow), ties to the frame nearest the piece's time centre.

Labeled pool (TypiClust's skip of covered clusters): a piece is *covered* when a labeled
vector's nearest row lies in it within one clipped step ``c_g`` of it (a re-encoded copy of one
of its frames); the sequences are cut into more pieces (``k`` + the covered count, repeated)
until ``k`` pieces are uncovered. Uncovered pieces are visited first, farthest (top frame to the
pool) first, then the covered ones. Quotas and time gaps take each piece's most typical
*eligible* frame, further passes the next (:func:`farpoint.selection.ranked.round_robin`).
Deterministic (the seed is not used). Cost: O(n d) for the steps, O((n + |L|) n d) worst case
for the pool's nearest rows (FAISS flat), O(sum_p min(s_p, CAP)^2 d) for typicality: at most
O(n CAP d); memory O(n + CAP^2).
"""

from __future__ import annotations

import numpy as np

from farpoint.errors import InputError
from farpoint.selection.base import Selection
from farpoint.selection.ranked import (
    finish,
    labeled_pool,
    nearest_sq,
    no_min_distance,
    round_robin,
)
from farpoint.selection.registry import MethodContext
from farpoint.selection.typiclust import typicality

CLIP_PERCENTILE = 95.0
TIME_WEIGHT = 0.25
CAP = 1000
BLOCK = 65536


def sequences(n: int, groups: np.ndarray | None, times: np.ndarray | None):
    """Rows in (group, time, row) order, each row's dense group id, and group start offsets."""
    g = np.zeros(n, np.int64)
    if groups is not None:
        raw = np.asarray(groups)
        if raw.ndim != 1 or raw.shape[0] != n:
            raise InputError(f"groups must have one entry per vector ({n}); got {raw.shape}")
        g = np.unique(raw, return_inverse=True)[1].astype(np.int64).reshape(n)
    t = np.arange(n, dtype=np.float64)
    if times is not None:
        t = np.asarray(times, np.float64)
        if t.ndim != 1 or t.shape[0] != n:
            raise InputError(f"times must have one entry per vector ({n}); got {t.shape}")
        if not np.isfinite(t).all():
            raise InputError("times hold NaN or infinite values")
    order = np.lexsort((np.arange(n), t, g))
    starts = np.concatenate([[0], np.cumsum(np.bincount(g))]).astype(np.int64)
    return order, t, starts


def steps(x: np.ndarray, order: np.ndarray) -> np.ndarray:
    """``||x[order[i]] - x[order[i-1]]||`` for i >= 1 (entry 0 is 0), in blocks."""
    n = order.shape[0]
    out = np.zeros(n, np.float64)
    for a in range(1, n, BLOCK):
        b = min(n, a + BLOCK)
        diff = x[order[a:b]].astype(np.float64) - x[order[a - 1 : b - 1]].astype(np.float64)
        out[a:b] = np.sqrt(np.einsum("ij,ij->i", diff, diff))
    return out


def increments(
    x: np.ndarray, order: np.ndarray, t: np.ndarray, starts: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The arc step ``u`` into each position of ``order`` (0 at a sequence start) and each
    sequence's clip ``c_g`` (module docstring)."""
    n = order.shape[0]
    s = steps(x, order)
    dt = np.zeros(n, np.float64)
    dt[1:] = np.maximum(np.diff(t[order]), 0.0)
    first = np.zeros(n, bool)
    first[starts[:-1][starts[:-1] < n]] = True
    s[first] = 0.0
    dt[first] = 0.0
    n_groups = starts.shape[0] - 1
    clip = np.zeros(n_groups, np.float64)
    for gi in np.flatnonzero(np.diff(starts) >= 3):
        a, b = int(starts[gi]) + 1, int(starts[gi + 1])
        clip[gi] = np.percentile(s[a:b], CLIP_PERCENTILE)
        s[a:b] = np.minimum(s[a:b], clip[gi])
        dt[a:b] = np.minimum(dt[a:b], np.percentile(dt[a:b], CLIP_PERCENTILE))
    for gi in np.flatnonzero(np.diff(starts) == 2):
        clip[gi] = s[int(starts[gi]) + 1]
    if dt.sum() <= 0:  # no usable times: one unit per frame
        dt = (~first).astype(np.float64)
    rate = s.sum() / dt.sum() if dt.sum() > 0 else 0.0
    u = s + TIME_WEIGHT * rate * dt
    if u.sum() <= 0:  # identical frames: fall back to equal time
        u = dt
    return u, clip


def split_budget(weights: np.ndarray, limits: np.ndarray, k: int) -> np.ndarray:
    """Split ``k`` over groups in proportion to ``weights`` (largest remainder, ties to the
    lower group), at most ``limits`` each; the excess of full groups goes to the others."""
    limits = np.asarray(limits, np.int64)
    k = int(min(k, limits.sum()))
    q = np.zeros(limits.shape[0], np.int64)
    while q.sum() < k:
        room = limits - q
        free = room > 0
        want = k - int(q.sum())
        w = np.where(free, np.maximum(weights, 0.0), 0.0)
        if w.sum() <= 0:
            w = free.astype(np.float64)
        share = want * w / w.sum()
        add = np.minimum(np.floor(share).astype(np.int64), room)
        left = want - int(add.sum())
        if left > 0:
            rem = np.where(free & (add < room), share - np.floor(share), -1.0)
            for g in np.lexsort((np.arange(rem.shape[0]), -rem))[:left]:
                if rem[g] >= 0:
                    add[g] += 1
        q += add
    return q


def pieces(arc: np.ndarray, q: int) -> np.ndarray:
    """Boundaries ``b_0 = 0 < b_1 < ... < b_q = s`` cutting a sequence with cumulative arc
    ``arc`` (non-decreasing, ``arc[0] = 0``) into ``q`` pieces of equal arc length, each
    holding at least one frame."""
    s = arc.shape[0]
    q = int(min(q, s))
    total = float(arc[-1])
    b = np.zeros(q + 1, np.int64)
    b[q] = s
    if q > 1:
        if total > 0:
            b[1:q] = np.searchsorted(arc, total * np.arange(1, q) / q, side="left")
        else:
            b[1:q] = (np.arange(1, q) * s) // q
    for j in range(1, q):  # at least one frame before ...
        b[j] = max(b[j], b[j - 1] + 1)
    for j in range(q - 1, 0, -1):  # ... and after each boundary
        b[j] = min(b[j], b[j + 1] - 1)
    return b


def ranked_piece(x: np.ndarray, rows: np.ndarray, t: np.ndarray) -> np.ndarray:
    """The rows of one piece (in time order), most typical first; ties to the time centre."""
    s = rows.shape[0]
    centre = 0.5 * (t[rows[0]] + t[rows[-1]])
    off = np.abs(t[rows] - centre)
    if s <= CAP:
        typ = typicality(x, rows)
        return rows[np.lexsort((rows, off, -typ))]
    pos = np.unique(((np.arange(CAP) + 0.5) * s / CAP).astype(np.int64))
    cand = rows[pos]
    typ = typicality(x, cand)
    first = cand[np.lexsort((cand, off[pos], -typ))]
    rest_mask = np.ones(s, bool)
    rest_mask[pos] = False
    rest = rows[rest_mask]
    return np.concatenate([first, rest[np.lexsort((rest, off[rest_mask]))]])


def cut(
    u: np.ndarray, order: np.ndarray, starts: np.ndarray, weights: np.ndarray, limits, n_pieces
) -> tuple[np.ndarray, np.ndarray]:
    """Cut every sequence into its share of ``n_pieces`` equal-arc pieces: each row's piece id
    (pieces numbered in (group, time) order) and each piece's group."""
    n = order.shape[0]
    q = split_budget(weights, limits, n_pieces)
    piece_of = np.empty(n, np.int64)
    owner: list[np.ndarray] = []
    base = 0
    for gi in np.flatnonzero(q):
        a, b = int(starts[gi]), int(starts[gi + 1])
        arc = np.cumsum(u[a:b])
        arc -= arc[0]
        bounds = pieces(arc, int(q[gi]))
        piece_of[order[a:b]] = base + np.repeat(np.arange(bounds.shape[0] - 1), np.diff(bounds))
        owner.append(np.full(bounds.shape[0] - 1, gi, np.int64))
        base += bounds.shape[0] - 1
    # groups without a piece (budget smaller than the number of groups) own no rows
    none = np.repeat(q == 0, np.diff(starts))
    piece_of[order[none]] = -1
    return piece_of, np.concatenate(owner) if owner else np.zeros(0, np.int64)


def run(x: np.ndarray, k: int, ctx: MethodContext) -> Selection:
    """``k`` picks by equal-content-change pieces (see module docstring)."""
    no_min_distance(ctx.min_distance, "timeline")
    pool = labeled_pool(ctx.labeled, x.shape[1])
    n = x.shape[0]
    order, t, starts = sequences(n, ctx.groups, ctx.times)
    u, clip = increments(x, order, t, starts)
    counts = np.diff(starts)
    n_groups = counts.shape[0]
    weights = np.add.reduceat(u, starts[:-1]) + (u.sum() / max(1, n - n_groups) or 1.0)
    cons = ctx.constraints
    limits = counts.copy()
    if pool is None and cons is not None and cons.quota is not None:
        limits = np.minimum(counts, cons.quota)
    n_pieces = k
    near = hit = None
    if pool is not None:
        from farpoint.selection.clusters import assign_to

        near, sq = assign_to(pool, x)
        group_of = np.empty(n, np.int64)
        group_of[order] = np.repeat(np.arange(n_groups), counts)
        hit = np.sqrt(sq) <= clip[group_of[near]] + 1e-12
    while True:  # with a pool: cut until k pieces are left uncovered (or one piece per row)
        piece_of, owner = cut(u, order, starts, weights, limits, n_pieces)
        covered = np.zeros(owner.shape[0], bool)
        if near is not None and hit is not None:
            at = piece_of[near[hit]]
            covered[at[at >= 0]] = True
        short = k - int((~covered).sum())
        if short <= 0 or n_pieces >= n:
            break
        n_pieces = min(n, n_pieces + short)
    members = np.argsort(piece_of, kind="stable")
    members = members[piece_of[members] >= 0]
    bounds = np.searchsorted(piece_of[members], np.arange(owner.shape[0] + 1))
    lists: list[np.ndarray] = []
    for j in range(owner.shape[0]):
        rows = members[bounds[j] : bounds[j + 1]]
        lists.append(ranked_piece(x, rows[np.lexsort((rows, t[rows]))], t))
    if pool is not None and lists:
        top = np.asarray([lst[0] for lst in lists], np.int64)
        far = np.sqrt(nearest_sq(x[top], pool))
        visit = np.lexsort((np.arange(len(lists)), -far, covered))
        lists = [lists[i] for i in visit]
    picks, reason = round_robin(lists, k, n, cons)
    return finish(
        x, picks, k, pool, "timeline", reason, pieces=len(lists), covered=int(covered.sum())
    )
