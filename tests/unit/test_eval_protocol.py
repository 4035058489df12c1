"""The paired protocol: subset sizes, seeding, an unbiased random baseline, paired summaries."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from farpoint.errors import InputError
from farpoint.eval.data import Dataset, LabeledSet
from farpoint.eval.derive import derive
from farpoint.eval.probe import ProbeConfig
from farpoint.eval.protocol import Method, pick, run_cell
from farpoint.eval.report import render_markdown


def test_method_parse() -> None:
    assert Method.parse("random") == Method("random")
    assert Method.parse("imagenet+umap+fps") == Method("imagenet+umap+fps", "imagenet", "umap")
    assert Method.parse("pixels+fps").normalize == "none"
    for bad in ("fps", "pixels+umap", "foo+fps", "pixels+tsne+fps"):
        with pytest.raises(InputError):
            Method.parse(bad)


def test_subset_sizes_and_seeding() -> None:
    space = np.random.default_rng(0).normal(size=(300, 5)).astype(np.float32)
    for m, s in ((Method("random"), None), (Method.parse("pixels+fps"), space)):
        a = pick(m, s, 300, 40, seed=7)
        assert a.size == 40 and np.unique(a).size == 40 and a.min() >= 0 and a.max() < 300
        assert np.array_equal(a, pick(m, s, 300, 40, seed=7))  # same seed -> same subset
        assert not np.array_equal(np.sort(a), np.sort(pick(m, s, 300, 40, seed=8)))


def test_random_baseline_is_uniform() -> None:
    n, k, draws = 50, 5, 4000
    counts = np.zeros(n)
    for seed in range(draws):
        counts[pick(Method("random"), None, n, k, seed)] += 1
    assert counts.sum() == k * draws
    assert stats.chisquare(counts).pvalue > 1e-3  # every item equally likely


def _tiny_dataset() -> Dataset:
    rng = np.random.default_rng(0)
    protos = rng.integers(0, 256, size=(3, 10, 10))

    def make(n: int) -> LabeledSet:
        y = np.arange(n) % 3
        x = np.clip(protos[y] + rng.normal(0, 40, size=(n, 10, 10)), 0, 255).astype(np.uint8)
        return LabeledSet(x, y)

    return Dataset("tiny", make(120), make(30), make(60), 3)


def test_run_cell_is_paired_and_summarised(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("FARPOINT_EVAL_CACHE", str(tmp_path))
    ds = _tiny_dataset()
    methods = [Method("random"), Method.parse("pixels+fps")]
    probe = ProbeConfig(epochs=3)
    cell = run_cell(ds, derive(ds.pool, "balanced"), methods, k=12, iterations=3, probe=probe)
    again = run_cell(ds, derive(ds.pool, "balanced"), methods, k=12, iterations=3, probe=probe)
    for name in ("random", "pixels+fps"):
        assert len(cell.runs[name].accuracies) == 3
        assert cell.runs[name].accuracies == again.runs[name].accuracies  # fully seeded
        assert all(0 <= a <= 1 for a in cell.runs[name].accuracies)
    summary = {s["method"]: s for s in cell.summaries()}
    assert "vs_random" not in summary["random"]
    diff = np.array(cell.runs["pixels+fps"].accuracies) - np.array(cell.runs["random"].accuracies)
    assert summary["pixels+fps"]["vs_random"]["diff_mean"] == pytest.approx(diff.mean())
    assert summary["pixels+fps"]["vs_random"]["n"] == 3
    assert list(tmp_path.glob("emb-pixels-*.npy"))  # embeddings cached
    md = render_markdown({
        "command": "farpoint eval", "machine": "test", "seconds": 1.0, "probe": "p",
        "iterations": 3, "cells": [cell.as_dict()], "video": None, "notes": ["n1"],
    })
    assert "| pixels+fps |" in md and "tiny / balanced" in md and "- n1" in md
    with pytest.raises(InputError, match="larger"):
        run_cell(ds, derive(ds.pool, "balanced"), methods, k=500, iterations=2, probe=probe)


def test_paper_probe_recipe_runs_with_early_stopping() -> None:
    """The --paper recipe (ResNet18, SGD, crop + flip, early stopping) on a tiny set, 2 epochs."""
    from dataclasses import replace

    from farpoint.eval.probe import paper_probe, train_probe

    ds = _tiny_dataset()
    cfg = replace(paper_probe("cpu"), epochs=2, patience=1, batch_size=16)
    acc, per_class = train_probe(
        ds.pool.images[:32], ds.pool.labels[:32], ds.test.images, ds.test.labels,
        n_classes=3, seed=0, config=cfg, val_x=ds.val.images, val_y=ds.val.labels,
    )
    assert 0.0 <= acc <= 1.0 and per_class.shape == (3,)


def test_linear_probe_cell_reuses_deterministic_picks_and_reports_failures(
    tmp_path, monkeypatch
) -> None:
    """Linear probe on frozen pixel features; facility (seed-independent) is computed twice and
    then reused; a method that raises is dropped from the cell and named in ``failed``."""
    from farpoint.eval.linear import LinearProbeConfig
    from farpoint.selection import registry

    monkeypatch.setenv("FARPOINT_EVAL_CACHE", str(tmp_path))
    monkeypatch.setitem(
        registry.METHODS,
        "broken",
        registry.MethodInfo("broken", "raises", "-", "farpoint.eval.grid:no_such_function"),
    )
    ds = _tiny_dataset()
    methods = [Method("random")] + [
        Method.parse(n) for n in ("pixels+facility", "pixels+fps", "pixels+broken")
    ]
    probe = LinearProbeConfig(features="pixels")
    cell = run_cell(ds, derive(ds.pool, "balanced"), methods, k=6, iterations=4, probe=probe)
    assert set(cell.runs) == {"random", "pixels+facility", "pixels+fps"}
    assert "AttributeError" in cell.failed["pixels+broken"]
    fac = cell.runs["pixels+facility"]
    assert len(fac.accuracies) == 4 and len(set(fac.accuracies)) == 1  # same picks, same probe
    assert len(set(cell.runs["random"].accuracies)) > 1
    for r in cell.runs.values():
        assert all(0 <= a <= 1 for a in r.accuracies)
    # 3 well-separated prototypes: a linear probe on 6 labels beats chance by far
    assert np.mean(cell.runs["pixels+fps"].accuracies) > 0.6
    assert cell.as_dict()["failed"] == cell.failed
