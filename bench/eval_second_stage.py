"""Which method should spend the picks beyond TypiClust's regime? A scan on long-tailed pools.

``typiclust-fps`` (the default on images) makes its first ``m`` picks with TypiClust and spends
the other ``k - m`` on greedy farthest point around them (farpoint.selection.typiclust_fps). On
long-tailed pools at 5-10 labels per class (k = 9-18 % of the rows) that second stage decides
the cell, and docs/quality.md ("New pools") shows it is the default's weak spot on some pools.
This replaces the second stage by another registered method, run around the TypiClust picks
exactly as farthest point is (``labeled=`` the picks), or by ``mix`` (half facility location,
then farthest point around everything), and compares each, paired over the same iterations and
linear probe as ``farpoint eval`` (iteration ``i`` of pool seed ``s`` uses seed ``s + i``),
against the default. ``fps`` as the stage reproduces the installed default pick for pick (checked
on every iteration).

    .venv/bin/python bench/eval_second_stage.py --datasets fashion-mnist,digits,uci-digits \\
        --seeds 0,1,2 --out docs/eval/second-stage.md
"""

from __future__ import annotations

import argparse
import sys

import numpy as np
import probe_pools
from threadpoolctl import threadpool_limits

from farpoint.eval.stats import paired_compare
from farpoint.selection import copies, random_select, select_points
from farpoint.selection.typiclust_fps import typical_budget


def around(x: np.ndarray, picked: np.ndarray, want: int, method: str, seed: int) -> np.ndarray:
    """``want`` more rows by ``method`` over the rows not in ``picked``, around them."""
    rest = np.setdiff1d(np.arange(x.shape[0]), picked)
    sel = select_points(
        np.ascontiguousarray(x[rest]), want, method=method, seed=seed, labeled=x[picked]
    )
    return np.concatenate([picked, rest[sel.indices]])


def typical_picks(x: np.ndarray, k: int, seed: int, distinct: int) -> np.ndarray:
    """TypiClust's ``m`` picks, ``m`` counted as ``typiclust-fps`` counts it (``distinct`` rows)."""
    return select_points(x, typical_budget(distinct, k), method="typiclust", seed=seed).indices


def second_stage(x: np.ndarray, first: np.ndarray, k: int, seed: int, stage: str) -> np.ndarray:
    """``first`` (TypiClust's picks), then ``stage`` for the other ``k - len(first)``."""
    if first.shape[0] >= k:
        return first
    if stage == "mix":  # half the rest by facility location, the other half by farthest point
        half = around(x, first, (k - first.shape[0]) // 2, "facility", seed)
        return around(x, half, k - half.shape[0], "fps", seed)
    return around(x, first, k - first.shape[0], stage, seed)


def two_stage(x: np.ndarray, k: int, seed: int, stage: str) -> np.ndarray:
    """The whole two-stage selection for one ``stage`` (what the tests call)."""
    first = typical_picks(x, k, seed, copies.distinct_rows(x)[0])
    return second_stage(x, first, k, seed, stage)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seeds", default="0,1,2", help="pool seeds (0: the grid's / held-out's)")
    ap.add_argument("--stages", default="facility,fps-dense,kmeans,mix")
    probe_pools.add_arguments(ap, out="second-stage.md", budgets="5,10")
    ap.set_defaults(datasets="fashion-mnist,digits,uci-digits", settings="long-tailed")
    a = ap.parse_args()
    stages = a.stages.split(",")
    cells = []
    with threadpool_limits(1):
        seeds = [int(s) for s in a.seeds.split(",")]
        for pool in probe_pools.pools(a.datasets, seeds, a.settings, a.pool_size):
            x = pool.x
            distinct = copies.distinct_rows(x)[0]  # a property of the pool: once
            for per in (int(b) for b in a.budgets.split(",")):
                k = per * pool.n_classes
                acc: dict[str, list[float]] = {"random": [], "default": []}
                acc.update({s: [] for s in stages})
                for i in range(a.iterations):
                    it = pool.seed + i
                    default = select_points(x, k, method="typiclust-fps", seed=it).indices
                    picks = {"random": random_select(x.shape[0], k, seed=it).indices}
                    picks["default"] = default
                    first = typical_picks(x, k, it, distinct)  # shared by every stage
                    for s in stages:
                        picks[s] = second_stage(x, first, k, it, s)
                    same = second_stage(x, first, k, it, "fps")  # the default's own path
                    assert np.array_equal(same, default), "the fps stage != typiclust-fps"
                    for name, idx in picks.items():
                        acc[name].append(pool.accuracy(idx, it))
                r = np.array(acc["random"])
                d = np.array(acc["default"])
                row = {"gain_default": float((d - r).mean() * 100)}
                for s in stages:
                    cmp = paired_compare(np.array(acc[s]), d)
                    row[s] = {
                        "gain": float((np.array(acc[s]) - r).mean() * 100),
                        "vs_default": cmp.diff_mean * 100,
                        "t_p": cmp.t_pvalue,
                    }
                cells.append(
                    {"dataset": pool.dataset, "seed": pool.seed, "setting": pool.setting,
                     "k": k, "per_class": per, "rows": int(x.shape[0]), **row,
                     "accuracies": acc}
                )  # fmt: skip
                sys.stdout.write(
                    f"{pool.dataset} ({pool.seed}) / {pool.setting} / {per}: default "
                    f"{row['gain_default']:+.2f}"
                    + "".join(f", {s} {row[s]['gain']:+.2f}" for s in stages)
                    + " pp vs random\n"
                )
                sys.stdout.flush()
    lines = [
        "| pool (seed) / setting / labels per class | default (`fps` stage) | "
        + " | ".join(f"`{s}` stage" for s in stages)
        + " |",
        "|---|---|" + "---|" * len(stages),
    ]
    for c in cells:
        vals = []
        for s in stages:
            mark = "" if c[s]["t_p"] >= 0.05 else (" ↑" if c[s]["vs_default"] > 0 else " ↓")
            vals.append(f"{c[s]['gain']:+.2f}{mark}")
        lines.append(
            f"| {c['dataset']} ({c['seed']}) / {c['setting']} / {c['per_class']} "
            f"| {c['gain_default']:+.2f} | " + " | ".join(vals) + " |"
        )
    up = {s: sum(c[s]["t_p"] < 0.05 and c[s]["vs_default"] > 0 for c in cells) for s in stages}
    down = {s: sum(c[s]["t_p"] < 0.05 and c[s]["vs_default"] < 0 for c in cells) for s in stages}
    lines.append(
        "| **cells above / below the default (p < 0.05)** | — | "
        + " | ".join(f"{up[s]} / {down[s]}" for s in stages)
        + " |"
    )
    probe_pools.write(a.out, a, cells, lines)


if __name__ == "__main__":
    main()
