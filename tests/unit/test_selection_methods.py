"""Selection methods beyond FPS: congruence of each fast FAISS / lazy path with a simple numpy
oracle (qdrant-client style), and the contract every registered method keeps (k distinct rows,
labeled pool, seeds, k == n, duplicates, quotas and time gaps)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from farpoint.errors import InputError
from farpoint.jobs.spec import SelectionSpec
from farpoint.selection import METHODS, select_points
from farpoint.selection.clusters import assign_to, kmeans
from farpoint.selection.coverage import lazy_greedy, naive_greedy, reverse_graph
from farpoint.selection.facility import facility_graph
from farpoint.selection.fps_dense import dense_rows
from farpoint.selection.kmeans import nearest_to_centroids
from farpoint.selection.knn import graph_scale, knn_graph, knn_graph_reference
from farpoint.selection.probcover import purity_delta
from farpoint.selection.ranked import Eligible, pick_distances
from farpoint.selection.typiclust import typicality
from farpoint.selection.uniform import allocate

NEW = (
    "facility",
    "kmeans",
    "typiclust",
    "typiclust-fps",
    "probcover",
    "uniform",
    "fps-dense",
    "timeline",
    "auto",
)


def _blobs(n: int = 600, d: int = 8, centers: int = 6, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    c = rng.normal(size=(centers, d)) * 5
    return (c[rng.integers(centers, size=n)] + rng.normal(size=(n, d))).astype(np.float32)


def _dense(graph: tuple[np.ndarray, np.ndarray, np.ndarray], n: int) -> np.ndarray:
    """The (demand x candidate) similarity matrix of a reverse-CSR graph."""
    ptr, dem, sim = graph
    s = np.zeros((n, n))
    for j in range(n):
        s[dem[ptr[j] : ptr[j + 1]], j] = sim[ptr[j] : ptr[j + 1]]
    return s


def test_registry_lists_every_method() -> None:
    assert set(NEW) <= set(METHODS)
    for m in NEW:
        assert SelectionSpec(media_ids=["a"], k=3, method=m).method == m
    with pytest.raises(ValueError, match="unknown method"):
        SelectionSpec(media_ids=["a"], k=3, method="kcenter")


def test_knn_graph_exact_matches_brute_force() -> None:
    x = _blobs(400, 8)
    sq, idx = knn_graph(x, 7)
    rsq, ridx = knn_graph_reference(x, 7)
    np.testing.assert_allclose(sq, rsq, rtol=1e-4, atol=1e-3)
    assert (idx == ridx).mean() > 0.999  # only float32 near-ties may swap
    assert not (idx == np.arange(400)[:, None]).any()


def test_knn_graph_ivf_recall_against_brute_force() -> None:
    x = _blobs(4000, 16, centers=30)
    sq, idx = knn_graph(x, 10, exact_max=0, exact_work=0, nprobe=8)
    _, ridx = knn_graph_reference(x, 10)
    recall = np.mean([len(set(a) & set(b)) / 10 for a, b in zip(idx, ridx, strict=True)])
    assert recall > 0.9
    assert np.all(np.diff(np.where(np.isfinite(sq), sq, 1e30), axis=1) >= -1e-4)


def test_knn_graph_with_duplicates_drops_own_row() -> None:
    x = np.repeat(_blobs(50, 4), 3, axis=0)
    _, idx = knn_graph(x, 4)
    assert not (idx == np.arange(150)[:, None]).any()
    assert (idx >= 0).all()


@pytest.mark.parametrize("with_pool", [False, True])
def test_lazy_greedy_facility_equals_naive_greedy(with_pool: bool) -> None:
    x = _blobs(300, 6)
    pool = _blobs(15, 6, seed=3) if with_pool else None
    graph, cur0, sigma2 = facility_graph(x, pool, m=12)
    assert sigma2 > 0
    lazy, greedy = lazy_greedy(graph, cur0, 40, Eligible(300, None), 0)
    naive = naive_greedy(_dense(graph, 300), cur0, 40)
    assert greedy == 40
    np.testing.assert_array_equal(lazy, naive)


def test_facility_run_is_the_lazy_greedy_on_its_graph() -> None:
    x = _blobs(500, 8)
    sel = select_points(x, 25, method="facility", seed=0)
    s, m = graph_scale(500, 25, 10)
    assert (s, m) == (500, 40)  # each row reaches ~2 n / k neighbours
    graph, cur0, _ = facility_graph(x, None, m=m)
    np.testing.assert_array_equal(sel.indices, naive_greedy(_dense(graph, 500), cur0, 25))


def test_graph_scale_bounds_edges_and_samples_rows() -> None:
    for n, k in [(5000, 20), (100_000, 100), (1_000_000, 1000), (1_000_000, 10_000), (60, 60)]:
        s, m = graph_scale(n, k, 10)
        assert k <= s <= n and 1 <= m < s and s * m <= 20_000_000
        assert m >= min(s - 1, 10)
    assert graph_scale(1_000_000, 1000, 10) == (64_000, 128)
    assert graph_scale(5000, 20, 10) == (5000, 500)  # small sets: all rows, reach 2 n / k


def test_facility_on_a_sample_picks_valid_rows_under_constraints(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from farpoint.selection import facility

    x = _blobs(3000, 6)
    groups = np.repeat(np.arange(10), 300)
    sel = select_points(x, 20, method="facility", seed=0, groups=groups, group_quota=2)
    monkeypatch.setattr(facility, "graph_scale", lambda n, k, m_min: (500, 40))  # sampled path
    sampled = select_points(x, 20, method="facility", seed=0, groups=groups, group_quota=2)
    for got in (sel, sampled):
        assert len(set(got.indices.tolist())) == 20
        assert np.bincount(groups[got.indices], minlength=10).max() <= 2
    assert sampled.info["rows"] == 500 and sel.info["rows"] == 3000


def test_kmeans_nearest_to_centroid_equals_numpy() -> None:
    x = _blobs(700, 8)
    cl = kmeans(x, 12, seed=5)
    ids, sq = assign_to(x, cl.centroids)
    d2 = ((x[:, None, :].astype(np.float64) - cl.centroids[None].astype(np.float64)) ** 2).sum(-1)
    np.testing.assert_array_equal(ids, d2.argmin(1))
    np.testing.assert_allclose(sq, d2.min(1), rtol=1e-4, atol=1e-3)
    got = nearest_to_centroids(ids, sq, 12)
    for c in range(12):
        rows = np.flatnonzero(ids == c)
        assert got[c] == rows[np.argmin(d2[rows, c])]
    sel = select_points(x, 12, method="kmeans", seed=5)
    # the method clusters with its own seed: its picks are each nearest a centroid of a partition
    assert len(set(sel.indices.tolist())) == 12


def test_typicality_equals_numpy() -> None:
    x = _blobs(120, 5)
    rows = np.arange(0, 120, 2)
    t = typicality(x, rows)
    d = np.sqrt(((x[rows, None].astype(np.float64) - x[None, rows]) ** 2).sum(-1))
    np.fill_diagonal(d, np.inf)
    ref = 1.0 / np.sort(d, axis=1)[:, :20].mean(1)
    np.testing.assert_allclose(t, ref, rtol=1e-4)


def test_probcover_greedy_and_coverage_equal_brute_force() -> None:
    x = _blobs(250, 4)
    n = 250
    sq, idx = knn_graph(x, n - 1)  # full graph: exact delta-balls
    delta = 1.2
    graph = reverse_graph(idx, (sq < delta**2).astype(np.float32))
    picks, greedy = lazy_greedy(graph, np.zeros(n), 15, Eligible(n, None), 0)
    d = np.sqrt(((x[:, None].astype(np.float64) - x[None]) ** 2).sum(-1))
    ball = (d < delta).astype(float)
    np.testing.assert_array_equal(picks[:greedy], naive_greedy(ball, np.zeros(n), greedy))
    covered = (ball[:, picks] > 0).any(axis=1).sum()
    cur = np.zeros(n)
    ptr, dem, _ = graph
    for j in picks:
        cur[dem[ptr[j] : ptr[j + 1]]] = 1
    assert covered == cur.sum()


def test_purity_delta_equals_brute_force() -> None:
    x = _blobs(300, 4, centers=4)
    labels = kmeans(x, 4, seed=1).assign
    sq, idx = knn_graph(x, 299)
    d = np.sqrt(((x[:, None].astype(np.float64) - x[None]) ** 2).sum(-1))
    other = np.where(labels[:, None] != labels[None], d, np.inf).min(1)
    ref = np.sort(other)[int(np.floor(0.05 * 299))]
    assert purity_delta(sq, idx, labels) == pytest.approx(ref, rel=1e-4)
    # the purity rule: at delta, >= 95% of the balls hold one pseudo-label only
    assert (other >= ref).mean() >= 0.95


def test_pick_distances_equal_numpy() -> None:
    x = _blobs(200, 6)
    pool = _blobs(9, 6, seed=9)
    picks = np.array([5, 17, 3, 150, 99])
    got = pick_distances(x, picks, pool)
    cen = list(pool.astype(np.float64))
    for i, p in enumerate(picks):
        ref = min(np.linalg.norm(x[p] - c) for c in cen)
        assert got[i] == pytest.approx(ref, rel=1e-5)
        cen.append(x[p].astype(np.float64))
    assert np.isinf(pick_distances(x, picks, None)[0])


@pytest.mark.parametrize("method", NEW + ("random",))
def test_method_contract(method: str) -> None:
    x = _blobs(400, 8)
    sel = select_points(x, 30, method=method, seed=7)
    assert sel.indices.shape == (30,) and len(set(sel.indices.tolist())) == 30
    assert sel.indices.min() >= 0 and sel.indices.max() < 400
    assert np.isinf(sel.distances[0]) and np.isfinite(sel.distances[1:]).all()
    again = select_points(x, 30, method=method, seed=7)
    np.testing.assert_array_equal(sel.indices, again.indices)
    pool = _blobs(40, 8, seed=11)
    withpool = select_points(x, 30, method=method, seed=7, labeled=pool)
    assert len(set(withpool.indices.tolist())) == 30 and withpool.indices.max() < 400
    assert np.isfinite(withpool.distances).all()
    full = select_points(x[:60], 60, method=method, seed=1)
    assert sorted(full.indices.tolist()) == list(range(60))
    dup = np.repeat(x[:20], 5, axis=0)  # 20 distinct rows, each 5 times
    sel = select_points(dup, 40, method=method, seed=2)
    assert len(set(sel.indices.tolist())) == 40
    deduped = select_points(dup, 20, method=method, seed=2, dedup=0.0)
    assert len({tuple(r) for r in dup[deduped.indices]}) == 20


@pytest.mark.parametrize("method", NEW + ("random",))
def test_quota_and_time_gap_on_top_of_each_method(method: str) -> None:
    x = _blobs(600, 8)
    groups = np.repeat(np.arange(6), 100)
    times = np.tile(np.arange(100) / 10.0, 6)
    sel = select_points(
        x, 36, method=method, seed=3, groups=groups, group_quota=6, times=times, min_gap_s=1.0
    )
    assert len(sel) == 36 and len(set(sel.indices.tolist())) == 36
    assert np.bincount(groups[sel.indices], minlength=6).max() <= 6
    for g in range(6):
        t = np.sort(times[sel.indices[groups[sel.indices] == g]])
        assert (np.diff(t) >= 1.0 - 1e-9).all()
    tight = select_points(x, 30, method=method, seed=3, groups=groups, group_quota=2)
    assert tight.stopped_early and len(tight) == 12
    assert tight.info["stop_reason"] == "no eligible point left"


def test_labeled_pool_steers_representative_methods_away() -> None:
    x = _blobs(600, 8, centers=6)
    cl = kmeans(x, 6, seed=0)
    pool = x[cl.assign == int(np.argmax(cl.sizes))][:30] + 0.01  # cover the largest blob
    for method in ("kmeans", "typiclust", "facility", "probcover"):
        sel = select_points(x, 5, method=method, seed=0, labeled=pool)
        near = np.sqrt(((x[sel.indices, None] - pool[None]) ** 2).sum(-1)).min(1)
        base = select_points(x, 5, method=method, seed=0)
        near_base = np.sqrt(((x[base.indices, None] - pool[None]) ** 2).sum(-1)).min(1)
        assert near.min() > near_base.min(), method


def test_uniform_is_evenly_spaced_in_time_per_video() -> None:
    n = 300
    x = _blobs(n, 4)
    groups = np.repeat([7, 3, 9], 100)
    times = np.tile(np.arange(100, dtype=float), 3)
    perm = np.random.default_rng(0).permutation(n)  # rows out of time order
    sel = select_points(x[perm], 15, method="uniform", groups=groups[perm], times=times[perm])
    picked = perm[sel.indices]
    for g in (7, 3, 9):
        assert sorted(times[picked[groups[picked] == g]].tolist()) == [10, 30, 50, 70, 90]
    plain = select_points(x, 10, method="uniform")
    assert sorted(plain.indices.tolist()) == list(range(15, 300, 30))
    assert allocate(np.array([90, 10]), 10).tolist() == [9, 1]
    assert allocate(np.array([90, 10]), 10, cap=6).tolist() == [6, 4]


def test_fps_dense_skips_planted_outliers() -> None:
    x = _blobs(800, 8)
    outliers = np.random.default_rng(1).normal(size=(20, 8)).astype(np.float32) * 40
    y = np.concatenate([x, outliers])
    fps = select_points(y, 20, method="fps", seed=0)
    dense = select_points(y, 20, method="fps-dense", seed=0)
    assert (fps.indices >= 800).sum() >= 10  # FPS spends its budget on the outliers
    assert (dense.indices >= 800).sum() == 0
    assert set(range(800, 820)).isdisjoint(dense_rows(y, 20, seed=0).tolist())


def test_representative_methods_beat_fps_on_k_median_cost() -> None:
    x = _blobs(1500, 8, centers=10)
    outliers = np.random.default_rng(2).normal(size=(30, 8)).astype(np.float32) * 30
    y = np.concatenate([x, outliers])

    def cost(idx: np.ndarray) -> float:
        d = np.sqrt(((x[:, None].astype(np.float64) - y[idx][None]) ** 2).sum(-1))
        return float(d.min(1).mean())

    fps = cost(select_points(y, 20, method="fps", seed=0).indices)
    for method in ("facility", "kmeans", "typiclust", "probcover", "fps-dense"):
        assert cost(select_points(y, 20, method=method, seed=0).indices) < fps, method


def test_bad_input_is_a_clear_error() -> None:
    x = _blobs(100, 4)
    with pytest.raises(InputError, match="applies to method .fps. only"):
        select_points(x, 5, method="facility", min_distance=0.5)
    with pytest.raises(InputError, match="dims"):
        select_points(x, 5, method="kmeans", labeled=np.zeros((3, 5), np.float32))
    with pytest.raises(InputError, match="unknown method"):
        select_points(x, 5, method="kcenter")
    with pytest.raises(InputError, match="larger than"):
        select_points(x, 101, method="typiclust")


def test_cli_select_vectors_reaches_the_new_methods(tmp_path: Path) -> None:
    x = _blobs(300, 6)
    np.save(tmp_path / "v.npy", x)
    env = {**os.environ, "FARPOINT_LOG_LEVEL": "ERROR"}
    for method in ("facility", "uniform"):
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "farpoint.cli",
                "select-vectors",
                str(tmp_path / "v.npy"),
                "-k",
                "6",
                "--method",
                method,
            ],
            capture_output=True,
            text=True,
            timeout=240,
            env=env,
        )
        assert proc.returncode == 0, proc.stderr
        picks = json.loads(proc.stdout)
        want = select_points(x, 6, method=method, seed=0).indices.tolist()
        assert (picks if isinstance(picks, list) else picks["indices"]) == want
    bad = subprocess.run(
        [
            sys.executable,
            "-m",
            "farpoint.cli",
            "select-vectors",
            str(tmp_path / "v.npy"),
            "-k",
            "6",
            "--method",
            "facility",
            "--min-distance",
            "0.5",
        ],
        capture_output=True,
        text=True,
        timeout=240,
        env=env,
    )
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
    assert bad.stderr.strip().splitlines()[-1].startswith("farpoint: error: ")


def test_kmeans_restarts_keep_the_best_run_within_the_work_budget() -> None:
    from farpoint.selection.clusters import RESTARTS, affordable_restarts

    x = _blobs(1500, 8, centers=20, seed=3)
    for seed in range(4):
        one = kmeans(x, 15, seed=seed)
        best = kmeans(x, 15, seed=seed, restarts=RESTARTS)
        assert float(best.sq.sum()) <= float(one.sq.sum()) + 1e-3
    assert affordable_restarts(2000, 10, 20) == RESTARTS  # the eval's pools: 10 runs
    assert affordable_restarts(10**6, 1000, 128) == 1  # 1e6 x 128, k = 1000: one run, as before
    assert 1 < affordable_restarts(10**5, 100, 128) < RESTARTS
    sel = select_points(_blobs(400), 10, method="typiclust", seed=0)
    assert sel.info["kmeans_restarts"] == RESTARTS
