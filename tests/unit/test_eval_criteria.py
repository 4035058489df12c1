"""The default bar (issue 14's Done-when) computed from cells of real paired numbers."""

from __future__ import annotations

import numpy as np

from farpoint.eval.criteria import check, gain_bar, rank
from farpoint.eval.protocol import MethodRuns
from farpoint.eval.report import criteria_table, ranking_table, space_tables


def _cell(setting: str, k: int, accs: dict[str, list[float]]) -> dict:
    runs = {m: MethodRuns(m) for m in accs}
    for m, a in accs.items():
        runs[m].accuracies = list(a)
        runs[m].per_class = [[0.5] * 10 for _ in a]
        runs[m].balance = [{"entropy": 1.0, "min_share": 1.0, "missing": 0.0} for _ in a]
        runs[m].distinct_sources = [1.0 for _ in a]
    base = runs["random"]
    return {
        "dataset": "d",
        "setting": setting,
        "k": k,
        "summary": [r.summary(base) for r in runs.values()],
    }


RNG = np.random.default_rng(0)
RAND = (0.40 + RNG.normal(0, 0.02, 20)).tolist()


def _plus(delta: float, noise: float = 0.005) -> list[float]:
    return (np.array(RAND) + delta + RNG.normal(0, noise, 20)).tolist()


def test_gain_bars() -> None:
    assert gain_bar("balanced", 1) == 0.10 and gain_bar("balanced", 2) == 0.10
    assert gain_bar("balanced", 5) is None
    assert gain_bar("long-tailed", 10) == 0.05 and gain_bar("redundant-shift", 1) == 0.05


def test_check_flags_each_condition() -> None:
    cells = [
        _cell("balanced", 10, {"random": RAND, "a": _plus(0.12), "b": _plus(0.125)}),
        _cell("balanced", 50, {"random": RAND, "a": _plus(-0.03), "b": _plus(0.0)}),
        _cell("long-tailed", 10, {"random": RAND, "a": _plus(0.06), "b": _plus(0.03)}),
    ]
    a = check(cells, "a")
    assert [c.near_best for c in a] == [True, False, True]
    assert [c.not_below for c in a] == [True, False, True]  # -3 pp, 20/20 losses: below
    assert [c.gain for c in a] == [True, None, True]
    assert a[0].passed and not a[1].passed and a[2].passed
    b = check(cells, "b")
    assert [c.gain for c in b] == [True, None, False]  # +3 pp < the 5 pp bar
    assert b[2].best == "a" and abs(b[2].gap_to_best - 0.03) < 0.01
    rows = {r["method"]: r for r in rank(cells)}
    assert (
        rows["a"]["passed"] == 2 and rows["b"]["passed"] == 2 and rows["random"]["passed"] == 1
    )  # only the no-bar cell
    assert rank(cells)[0]["method"] == "b"  # tie on passes: higher mean gain first


def test_noise_is_not_a_gain() -> None:
    """A +10 pp mean that is really noise (std 30 pp) fails the p < 0.01 part of the bar."""
    noisy = (np.array(RAND) + 0.10 + RNG.normal(0, 0.3, 20)).tolist()
    c = check([_cell("balanced", 10, {"random": RAND, "n": noisy})], "n")[0]
    assert c.gain is False


def test_tables_render_the_checks() -> None:
    cells = [
        _cell("balanced", 10, {"random": RAND, "imagenet+pca+a": _plus(0.12)}),
        _cell("redundant", 20, {"random": RAND, "imagenet+pca+a": _plus(0.01)}),
    ]
    md = criteria_table(cells, "imagenet+pca+a")
    assert "d / balanced / 1 per class (k=10)" in md and "**no**" in md
    assert "| imagenet+pca+a | 1/2 |" in ranking_table(cells)
    sp = space_tables(cells)
    assert "**imagenet+pca**" in sp and "| d / redundant / 2 |" in sp
