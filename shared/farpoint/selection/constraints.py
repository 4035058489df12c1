"""Constraints on a selection: per-group quotas and a minimum time gap within a group.

Semantics (constrained greedy farthest point): at each step the pick is the point farthest from
the picks (and labeled pool) *among the eligible points*. A point becomes ineligible, for good,
when its group has reached ``group_quota`` picks, or when a pick of its own group lies closer
than ``min_gap_s`` in time (``|t_i - t_pick| < min_gap_s``). Ineligible points still exist for
coverage but can no longer be picked; their distances are not reported. Quotas and gaps count
only new picks, not the labeled pool. When no eligible point is left the selection stops early
(``Selection.stopped_early``, ``info["stop_reason"]``). Both rules only ever block more points, so
blocking is permanent and every backend handles it the same way: the point's min-distance entry
becomes ``-inf``.
"""

from __future__ import annotations

import numpy as np

from farpoint.errors import InputError


class Constraints:
    """Per-group quota and time-gap rules over ``n`` points (see module docstring)."""

    def __init__(
        self,
        n: int,
        *,
        groups: np.ndarray | None = None,
        group_quota: int | None = None,
        times: np.ndarray | None = None,
        min_gap_s: float | None = None,
    ) -> None:
        if group_quota is not None:
            if isinstance(group_quota, bool) or not isinstance(group_quota, int | np.integer):
                raise InputError(f"group_quota must be an integer; got {group_quota!r}")
            if group_quota < 1:
                raise InputError(f"group_quota must be >= 1; got {group_quota}")
        if min_gap_s is not None and not (np.isfinite(min_gap_s) and min_gap_s >= 0):
            raise InputError(f"min_gap_s must be a finite number >= 0; got {min_gap_s!r}")
        if min_gap_s is not None and times is None:
            raise InputError("min_gap_s needs times (one timestamp per vector)")
        if group_quota is None and min_gap_s is None and groups is None and times is None:
            raise InputError("constraints need group_quota and/or min_gap_s")
        self.n = n
        if groups is None:
            g = np.zeros(n, np.int64)
        else:
            raw = np.asarray(groups)
            if raw.ndim != 1 or raw.shape[0] != n:
                raise InputError(f"groups must have one entry per vector ({n}); got {raw.shape}")
            _, g = np.unique(raw, return_inverse=True)
            g = g.astype(np.int64)
        self.group = g
        self.quota = None if group_quota is None else int(group_quota)
        self.gap = None if min_gap_s is None else float(min_gap_s)
        self.times: np.ndarray | None = None
        if times is not None:
            t = np.asarray(times, dtype=np.float64)
            if t.ndim != 1 or t.shape[0] != n:
                raise InputError(f"times must have one entry per vector ({n}); got {t.shape}")
            if not np.isfinite(t).all():
                raise InputError("times hold NaN or infinite values")
            self.times = t
        # members of each group, sorted by time (or index): one argsort, O(n) state
        key = self.times if self.times is not None else np.arange(n, dtype=np.float64)
        self._order = np.lexsort((key, g))
        self._gstart = np.searchsorted(g[self._order], np.arange(int(g.max()) + 2))
        self._sorted_t = key[self._order]
        self._count = np.zeros(int(g.max()) + 1, np.int64)
        self._pre_blocked = np.empty(0, np.int64)  # set by after()

    def subset(self, keep: np.ndarray) -> Constraints:
        """The same rules restricted to rows ``keep`` (after de-duplication)."""
        return Constraints(
            int(keep.shape[0]),
            groups=self.group[keep],
            group_quota=self.quota,
            times=None if self.times is None else self.times[keep],
            min_gap_s=self.gap,
        )

    def after(self, picks: np.ndarray, keep: np.ndarray) -> Constraints:
        """The same rules over rows ``keep``, with ``picks`` (rows of the full set, made by an
        earlier stage of one selection) already counted: their groups' quotas are used up by
        them, and the rows they block are blocked from the start."""
        keep = np.asarray(keep, np.int64)
        replay = self.subset(np.arange(self.n))  # fresh counts, same rules
        blocked = np.zeros(self.n, bool)
        for i in np.asarray(picks, np.int64):
            blocked[replay.on_pick(int(i))] = True
        sub = self.subset(keep)
        if keep.shape[0]:
            sub._count[:] = replay._count[np.unique(self.group[keep])]
        sub._pre_blocked = np.flatnonzero(blocked[keep]).astype(np.int64)
        return sub

    def blocked_initially(self) -> np.ndarray:
        """Points blocked before any pick (none on a fresh set: quotas are >= 1; on the set of
        :meth:`after`, the rows the earlier picks blocked)."""
        return self._pre_blocked

    def on_pick(self, i: int) -> np.ndarray:
        """Record pick ``i``; return the points it makes ineligible (may repeat earlier ones)."""
        g = int(self.group[i])
        lo, hi = int(self._gstart[g]), int(self._gstart[g + 1])
        self._count[g] += 1
        if self.quota is not None and self._count[g] >= self.quota:
            return self._order[lo:hi]
        out = [np.asarray([i], np.int64)]
        if self.gap is not None and self.times is not None and self.gap > 0:
            t = self.times[i]
            seg = self._sorted_t[lo:hi]
            a = lo + int(np.searchsorted(seg, t - self.gap, side="right"))
            b = lo + int(np.searchsorted(seg, t + self.gap, side="left"))
            out.append(self._order[a:b])
        return np.concatenate(out)
