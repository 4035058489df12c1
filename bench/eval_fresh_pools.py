"""Replicate a change of the default selection on pools no rule was tuned on.

The linear-probe grid and the held-out set (docs/quality.md) are where rules were chosen and
gated; this draws *new* pools (``--seeds``: pool and derived scenes from other seeds, e.g.
Fashion-MNIST's 2,000-image pool out of 60,000 train images) and compares, paired over the same
iterations and linear probe as ``farpoint eval``:

* ``typiclust-fps`` as installed (copies in a pool with many near-copies do not count towards
  TypiClust's regime: farpoint.selection.copies), against
* ``typiclust-fps`` with every row counted (the rule before it: ``copies.SHARE`` set above 1),
* and random.

Only the cells where the two rules pick differently are computed for both (elsewhere they are
the same picks: reported as identical without running the probe twice). Writes a markdown table
and the per-iteration accuracies (``--out``, .md + .json).

    .venv/bin/python bench/eval_fresh_pools.py --datasets fashion-mnist,digits --seeds 1,2 \\
        --settings redundant,redundant-shift --iterations 50 --out docs/eval/fresh-pools.md
"""

from __future__ import annotations

import argparse
import sys

import numpy as np
import probe_pools
from threadpoolctl import threadpool_limits

from farpoint.eval.stats import paired_compare
from farpoint.selection import copies, random_select, select_points


def _rows_counted(x: np.ndarray, k: int, seed: int) -> np.ndarray:
    old = copies.SHARE
    copies.SHARE = 2.0  # no pool reaches it: every row counts
    try:
        return select_points(x, k, method="typiclust-fps", seed=seed).indices
    finally:
        copies.SHARE = old


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seeds", default="1,2", help="pool / scene seeds (0 is the grid's)")
    probe_pools.add_arguments(ap, out="fresh-pools.md")
    a = ap.parse_args()
    cells = []
    with threadpool_limits(1):
        seeds = [int(s) for s in a.seeds.split(",")]
        for pool in probe_pools.pools(a.datasets, seeds, a.settings, a.pool_size):
            dname, dseed, setting, x = pool.dataset, pool.seed, pool.setting, pool.x
            distinct, share = copies.distinct_rows(x)
            for per in (int(b) for b in a.budgets.split(",")):
                k = per * pool.n_classes
                acc: dict[str, list[float]] = {"random": [], "new": [], "old": []}
                same = True
                for i in range(a.iterations):
                    new = select_points(x, k, method="typiclust-fps", seed=i).indices
                    old = _rows_counted(x, k, i)
                    one = np.array_equal(np.sort(new), np.sort(old))
                    same = same and one
                    picks = {"random": random_select(x.shape[0], k, seed=i).indices}
                    picks["new"] = new
                    if not one:
                        picks["old"] = old
                    for name, idx in picks.items():
                        acc[name].append(pool.accuracy(idx, i))
                    if one:  # the same picks: the same accuracy
                        acc["old"].append(acc["new"][-1])
                r = np.array(acc["random"])
                cmp = paired_compare(np.array(acc["new"]), np.array(acc["old"]))
                cell = {
                    "dataset": dname,
                    "seed": dseed,
                    "setting": setting,
                    "k": k,
                    "per_class": per,
                    "rows": int(x.shape[0]),
                    "near_copy_share": share,
                    "distinct_rows": distinct,
                    "identical_picks": bool(same),
                    "gain_new": float((np.array(acc["new"]) - r).mean() * 100),
                    "gain_old": float((np.array(acc["old"]) - r).mean() * 100),
                    "diff": cmp.diff_mean * 100,
                    "t_p": cmp.t_pvalue,
                    "wilcoxon_p": cmp.wilcoxon_pvalue,
                    "accuracies": acc,
                }
                cells.append(cell)
                sys.stdout.write(
                    f"{dname}@{dseed} / {setting} / {per} per class: share {share:.2f}, "
                    f"new {cell['gain_new']:+.2f} old {cell['gain_old']:+.2f} pp vs random"
                    f" (p {cmp.t_pvalue:.2g} / {cmp.wilcoxon_pvalue:.2g})\n"
                )
                sys.stdout.flush()
    lines = [
        "| pool (seed) / setting / labels per class | near-copy share | rows counted "
        "| every row counted: Δ vs random, pp | distinct rows counted (default) | Δ, pp "
        "| p (t / Wilcoxon) |",
        "|---|---|---|---|---|---|---|",
    ]
    for c in cells:
        per = c["per_class"]
        p = "identical picks" if c["identical_picks"] else f"{c['t_p']:.1g} / {c['wilcoxon_p']:.1g}"
        lines.append(
            f"| {c['dataset']} ({c['seed']}) / {c['setting']} / {per} | {c['near_copy_share']:.2f} "
            f"| {c['distinct_rows']} of {c['rows']} | {c['gain_old']:+.2f} | {c['gain_new']:+.2f} "
            f"| {c['diff']:+.2f} | {p} |"
        )
    probe_pools.write(a.out, a, cells, lines)


if __name__ == "__main__":
    main()
