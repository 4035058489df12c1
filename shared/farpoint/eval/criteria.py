"""The bar a default must clear, checked on the cells of an eval run (issue 14, "Done when").

For a candidate grid method (``imagenet+pca+facility``, say) and every cell (dataset x setting x
budget) of a run:

* ``not_below``  — it is not significantly below random (paired t-test *or* Wilcoxon p < 0.05
  with a negative mean difference counts as "below": the stricter reading);
* ``near_best``  — its mean accuracy is within ``near_pp`` (1 pp) of the best method of the cell;
* ``gain``       — on ``balanced`` at <= 2 labels per class: >= 10 pp over random with both
  p < 0.01; on ``long-tailed``, ``redundant`` and ``redundant-shift`` (every budget): >= 5 pp
  with both p < 0.01; other cells have no gain bar.

:func:`rank` orders every method of a run by how many cells it passes, the table the defaults
are read from.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

GAIN_BARS = {"balanced": 0.10, "long-tailed": 0.05, "redundant": 0.05, "redundant-shift": 0.05}
BALANCED_MAX_PER_CLASS = 2
ALPHA_BELOW = 0.05
ALPHA_GAIN = 0.01


@dataclass
class CellCheck:
    cell: str
    diff: float  # mean paired difference vs random (fraction)
    t_p: float
    w_p: float
    gap_to_best: float  # best mean - this mean (fraction, >= 0)
    best: str
    gain_bar: float | None  # None: no gain bar in this cell
    not_below: bool
    near_best: bool
    gain: bool | None

    @property
    def passed(self) -> bool:
        return self.not_below and self.near_best and self.gain is not False


def gain_bar(setting: str, per_class: float) -> float | None:
    bar = GAIN_BARS.get(setting)
    if setting == "balanced" and per_class > BALANCED_MAX_PER_CLASS:
        return None
    return bar


def _n_classes(cell: dict[str, Any]) -> int:
    per_class = cell["summary"][0].get("per_class") or []
    return max(len(per_class), 1)


def cell_label(cell: dict[str, Any]) -> str:
    pc = cell["k"] / _n_classes(cell)
    return f"{cell['dataset']} / {cell['setting']} / {pc:g} per class (k={cell['k']})"


def check(cells: Sequence[dict[str, Any]], method: str, near_pp: float = 1.0) -> list[CellCheck]:
    """One :class:`CellCheck` per cell that ran ``method`` (cells without it are skipped)."""
    out = []
    for cell in cells:
        by = {s["method"]: s for s in cell["summary"]}
        if method not in by or "random" not in by:
            continue
        s = by[method]
        best_name, best = max(((n, v["mean"]) for n, v in by.items()), key=lambda t: t[1])
        if method == "random":
            diff, t_p, w_p = 0.0, 1.0, 1.0
        else:
            cmp = s["vs_random"]
            diff, t_p, w_p = cmp["diff_mean"], cmp["t_pvalue"], cmp["wilcoxon_pvalue"]
        bar = gain_bar(cell["setting"], cell["k"] / _n_classes(cell))
        gain = None
        if bar is not None:
            gain = diff >= bar - 1e-12 and t_p < ALPHA_GAIN and w_p < ALPHA_GAIN
        out.append(
            CellCheck(
                cell=cell_label(cell),
                diff=diff,
                t_p=t_p,
                w_p=w_p,
                gap_to_best=best - s["mean"],
                best=best_name,
                gain_bar=bar,
                not_below=not (diff < 0 and min(t_p, w_p) < ALPHA_BELOW),
                near_best=best - s["mean"] <= near_pp / 100 + 1e-12,
                gain=gain,
            )
        )
    return out


def rank(cells: Sequence[dict[str, Any]], near_pp: float = 1.0) -> list[dict[str, Any]]:
    """Every method of the run with its pass counts, best first (ties: higher mean gain)."""
    names: list[str] = []
    for c in cells:
        for s in c["summary"]:
            if s["method"] not in names:
                names.append(s["method"])
    rows: list[dict[str, Any]] = []
    for name in names:
        checks = check(cells, name, near_pp)
        if not checks:
            continue
        gains = [c for c in checks if c.gain is not None]
        rows.append(
            {
                "method": name,
                "cells": len(checks),
                "passed": sum(c.passed for c in checks),
                "not_below": sum(c.not_below for c in checks),
                "near_best": sum(c.near_best for c in checks),
                "gain": sum(bool(c.gain) for c in gains),
                "gain_cells": len(gains),
                "mean_diff": sum(c.diff for c in checks) / len(checks),
                "worst_gap": max(c.gap_to_best for c in checks),
            }
        )
    rows.sort(key=lambda r: (-r["passed"], -r["mean_diff"]))
    return rows
