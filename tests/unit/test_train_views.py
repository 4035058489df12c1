"""Views: batched augmentations, and the temporal pair sampler on a real video (vtest.avi)."""

from __future__ import annotations

import logging

import numpy as np
import pytest
import torch

from farpoint.train.views import (
    PairSampler,
    augment,
    gaussian_blur,
    image_view_config,
    random_resized_crop,
    temporal_view_config,
)
from tests.data import opencv_gz_video, opencv_sample

torch.set_num_threads(1)


@pytest.fixture(scope="module")
def vtest_frames(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    from farpoint.store.local import LocalStore
    from farpoint.train.dataset import build_frame_dataset, load_frame_set

    store = LocalStore(tmp_path_factory.mktemp("vtest"))
    build_frame_dataset([opencv_sample("vtest.avi")], store, width=100, fps=10.0)
    return load_frame_set(store)


def _batch(n: int = 6, h: int = 40, w: int = 50) -> torch.Tensor:
    g = torch.Generator().manual_seed(0)
    return torch.rand(n, 3, h, w, generator=g)


def test_augment_shapes_range_and_determinism() -> None:
    x = _batch()
    a = augment(x, torch.Generator().manual_seed(7), image_view_config())
    b = augment(x, torch.Generator().manual_seed(7), image_view_config())
    c = augment(x, torch.Generator().manual_seed(8), image_view_config())
    assert a.shape == x.shape and a.dtype == x.dtype
    assert float(a.min()) >= 0.0 and float(a.max()) <= 1.0 + 1e-6
    assert torch.equal(a, b)
    assert not torch.equal(a, c)
    t = augment(x, torch.Generator().manual_seed(7), temporal_view_config())
    assert t.shape == x.shape


def test_full_crop_is_identity_and_blur_keeps_mean() -> None:
    x = _batch()
    same = random_resized_crop(x, torch.Generator().manual_seed(0), (1.0, 1.0), (50 / 40, 50 / 40))
    torch.testing.assert_close(same, x, atol=1e-5, rtol=0)
    blurred = gaussian_blur(x, torch.Generator().manual_seed(0), (1.5, 1.5))
    assert blurred.std() < x.std()  # smoother
    torch.testing.assert_close(blurred.mean(), x.mean(), atol=1e-2, rtol=0)


def test_temporal_sampler_honours_gap_and_window(vtest_frames) -> None:  # type: ignore[no-untyped-def]
    fs = vtest_frames
    assert len(fs) == pytest.approx(795, abs=5)  # 79.5 s at 10 fps
    sampler = PairSampler(fs.source_ids, fs.timestamps, batch_size=5, gap_s=10.0, window_s=1.0,
                          seed=0)
    assert sampler.temporal and sampler.gap_s == 10.0  # 8 slots of 10 s: room for 5 * 1.5
    for _ in range(50):
        a, p = sampler.batch()
        assert len(a) == len(set(a.tolist())) == 5
        ta = np.sort(fs.timestamps[a])
        assert np.all(np.diff(ta) >= 10.0 - 1e-6), ta
        dt = np.abs(fs.timestamps[p] - fs.timestamps[a])
        assert np.all(dt <= 1.0 + 1e-6) and np.all(p != a)
        assert np.all(fs.source_ids[p] == fs.source_ids[a])
    assert sampler.shortfall_batches == 0


def test_temporal_sampler_lowers_gap_for_short_clips(vtest_frames, caplog) -> None:  # type: ignore[no-untyped-def]
    fs = vtest_frames
    with caplog.at_level(logging.WARNING, logger="farpoint.train.views"):
        sampler = PairSampler(fs.source_ids, fs.timestamps, batch_size=64, gap_s=10.0, seed=1)
    assert "too short" in caplog.text
    assert 0 < sampler.gap_s < 10.0
    assert sampler.capacity(sampler.gap_s) >= 96
    a, _ = sampler.batch()  # terminates, full batch, at the lowered gap or filled up
    assert len(a) == 64 == len(set(a.tolist()))
    ta = np.sort(fs.timestamps[a])
    if sampler.shortfall_batches == 0:
        assert np.all(np.diff(ta) >= sampler.gap_s - 1e-6)


def test_temporal_sampler_spans_videos(vtest_frames, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from farpoint.store.local import LocalStore
    from farpoint.train.dataset import build_frame_dataset, load_frame_set

    store = LocalStore(tmp_path)
    build_frame_dataset([opencv_sample("vtest.avi"), opencv_gz_video("box.mp4")], store)
    fs = load_frame_set(store)
    assert len(fs.sources) == 2
    sampler = PairSampler(fs.source_ids, fs.timestamps, batch_size=8, gap_s=5.0, seed=3)
    seen = set()
    for _ in range(20):
        a, p = sampler.batch()
        for s in np.unique(fs.source_ids[a]):
            t = np.sort(fs.timestamps[a][fs.source_ids[a] == s])
            assert np.all(np.diff(t) >= sampler.gap_s - 1e-6)
        seen.update(fs.source_ids[a].tolist())
    assert seen == {0, 1}


def test_images_pair_with_themselves_and_cover_an_epoch() -> None:
    n = 50
    sampler = PairSampler(np.arange(n), np.zeros(n), batch_size=10, seed=0)
    assert not sampler.temporal
    got = []
    for _ in range(sampler.steps_per_epoch()):
        a, p = sampler.batch()
        assert np.array_equal(a, p)
        got.extend(a.tolist())
    assert sorted(got) == list(range(n))
