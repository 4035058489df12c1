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
        "pool_size": 100,
        "note": "synthetic",
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


def test_from_json_merges_runs_and_adds_candidate_checks(tmp_path) -> None:
    from farpoint.cli import build_parser
    from farpoint.eval.cli import run
    from farpoint.eval.report import write_results

    def result(cells: list, cmd: str) -> dict:
        return {
            "command": cmd,
            "machine": "m",
            "probe": "p",
            "iterations": 20,
            "seconds": 2.0,
            "methods": ["random", "imagenet+pca+a"],
            "cells": cells,
            "video": None,
            "notes": ["swav rows skipped"],  # both runs carry it
        }

    c1 = _cell("balanced", 10, {"random": RAND, "imagenet+pca+a": _plus(0.12)})
    c2 = _cell("long-tailed", 10, {"random": RAND, "imagenet+pca+a": _plus(0.01)})
    _, j1 = write_results(result([c1], "farpoint eval --datasets d"), tmp_path / "a")
    _, j2 = write_results(result([c2], "farpoint eval --settings long-tailed"), tmp_path / "b")
    args = build_parser().parse_args(
        [
            "eval",
            "--from-json",
            f"{j1},{j2}",
            "--candidates",
            "imagenet+pca+a",
            "--out",
            str(tmp_path / "m"),
        ]
    )
    assert run(args) == 0
    md = (tmp_path / "m" / "eval.md").read_text()
    assert "Default candidate: `imagenet+pca+a`" in md
    assert "| d / balanced / 1 per class (k=10) | +12" in md
    lt_row = next(ln for ln in md.splitlines() if ln.startswith("| d / long-tailed / 1 per class"))
    assert "| +0." in lt_row or "| +1." in lt_row  # ~ +1 pp: below the 5 pp bar
    assert lt_row.rstrip().endswith("| **no** |")
    assert "--datasets d ; farpoint eval --settings long-tailed" in md
    assert md.count("- swav rows skipped") == 1  # a note both runs carry, said once


def test_same_cell_from_two_runs_is_one_row_only_on_the_same_draws() -> None:
    """Two runs of one cell join (the later run's methods added) only when random's
    per-iteration accuracies are identical: the same paired draws; otherwise both rows stay."""
    from farpoint.eval.report import merge_cells

    def with_raw(cell: dict, accs: dict[str, list[float]]) -> dict:
        cell["raw"] = {m: {"accuracies": list(a)} for m, a in accs.items()}
        return cell

    a_accs = {"random": RAND, "imagenet+pca+a": _plus(0.05)}
    b_accs = {"random": RAND, "imagenet+pca+b": _plus(0.08), "imagenet+pca+a": _plus(0.5)}
    a = with_raw(_cell("balanced", 10, a_accs), a_accs)
    b = with_raw(_cell("balanced", 10, b_accs), b_accs)
    [joined] = merge_cells([a, b])
    names = [s["method"] for s in joined["summary"]]
    assert names == ["random", "imagenet+pca+a", "imagenet+pca+b"]  # the first run's a kept
    assert joined["raw"]["imagenet+pca+a"]["accuracies"] == a_accs["imagenet+pca+a"]
    assert [c.best for c in check([joined], "imagenet+pca+a")] == ["imagenet+pca+b"]
    other = [x + 0.01 for x in RAND]  # another draw of random: not paired, not joined
    c_accs = {"random": other, "imagenet+pca+b": _plus(0.08)}
    c = with_raw(_cell("balanced", 10, c_accs), c_accs)
    assert len(merge_cells([a, c])) == 2
    d = with_raw(_cell("balanced", 20, b_accs), b_accs)  # another budget: another cell
    assert len(merge_cells([a, d])) == 2
