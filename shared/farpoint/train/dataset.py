"""Training frames: a frame dataset in the one shard format of :mod:`farpoint.ingest.shards`.

The paper stores the whole down-scaled video "on disk as a numpy array" for training. We decode
the inputs once with :func:`farpoint.ingest.iter_frames` (videos at width 100, at most 10 fps;
still images and archives too) and write them through a :class:`farpoint.store.Store` as the
same shards a job's ingest writes, plus a manifest::

    <prefix>/shards/00000/frames.npy   (n, H, W, 3) uint8, up to ``shard_size`` frames
    <prefix>/shards/00000/meta.json    farpoint.shard/1: sources + rows (source, index, ts, pts)
    <prefix>/manifest.json             format "farpoint.frames/2", H, W, count, sources, shards

The manifest is written last, so a dataset with a manifest is complete. **One size per
dataset**: the first frame decoded fixes ``H x W``; any frame of another size is letterboxed to
it (scaled by one factor to fit, aspect kept, centred, padded with black). Videos of one aspect
ratio at the same width therefore pass through unchanged.

:class:`FrameSet` reads a dataset back (memory-mapped when the store is local) and knows, for
every frame, its source and timestamp — what the temporal view sampler needs.
:func:`open_shards` opens any list of shards the same way, e.g. a job's (the trainer service
trains on a job's shards without decoding its media again); shards of another size than the
first are letterboxed to it in memory.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from farpoint.errors import InputError, NotFoundError
from farpoint.ingest.frame import Frame
from farpoint.ingest.shards import Shard, read_shard, shard_keys, write_shard
from farpoint.store.base import Store

log = logging.getLogger(__name__)

FORMAT = "farpoint.frames/2"
DEFAULT_SHARD_SIZE = 2048


def letterbox_uint8(image: np.ndarray, height: int, width: int) -> np.ndarray:
    """Fit an ``(h, w, 3)`` uint8 image inside ``height x width`` (aspect kept, black padding)."""
    h, w = image.shape[:2]
    if (h, w) == (height, width):
        return image
    from PIL import Image

    from farpoint.models.preprocess import letterbox_size

    nh, nw = letterbox_size(h, w, height, width)
    resized = np.asarray(Image.fromarray(image).resize((nw, nh), Image.Resampling.BILINEAR))
    out = np.zeros((height, width, 3), dtype=np.uint8)
    top, left = (height - nh) // 2, (width - nw) // 2
    out[top : top + nh, left : left + nw] = resized
    return out


@dataclass
class FrameSet:
    """Frames plus, per frame, the source id, frame index and timestamp (seconds)."""

    shards: list[np.ndarray]
    sources: list[str]
    source_ids: np.ndarray  # (N,) int64, index into ``sources``
    frame_index: np.ndarray  # (N,) int64
    timestamps: np.ndarray  # (N,) float64
    info: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        sizes = [len(s) for s in self.shards]
        self._offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
        n = int(self._offsets[-1])
        if not (len(self.source_ids) == len(self.frame_index) == len(self.timestamps) == n):
            raise InputError("frame set is inconsistent: index and shards differ in length")

    @classmethod
    def from_arrays(
        cls,
        images: np.ndarray,
        sources: Sequence[str] | None = None,
        timestamps: Sequence[float] | np.ndarray | None = None,
    ) -> FrameSet:
        """An in-memory set. Without ``sources``, every image is its own source (no time)."""
        images = np.asarray(images)
        if images.ndim == 3:  # grayscale (N, H, W) -> RGB
            images = np.repeat(images[..., None], 3, axis=-1)
        if images.ndim != 4 or images.shape[-1] != 3 or images.dtype != np.uint8:
            raise InputError(f"expected (N, H, W, 3) uint8 images, got {images.shape} "
                             f"{images.dtype}")
        n = len(images)
        if sources is None:
            names = [f"image-{i}" for i in range(n)]
            ids = np.arange(n, dtype=np.int64)
        else:
            names = list(dict.fromkeys(sources))
            lookup = {s: i for i, s in enumerate(names)}
            ids = np.array([lookup[s] for s in sources], dtype=np.int64)
        ts = np.zeros(n) if timestamps is None else np.asarray(timestamps, dtype=np.float64)
        index = np.zeros(n, dtype=np.int64)
        for sid in np.unique(ids):  # frame index = rank within the source
            sel = np.flatnonzero(ids == sid)
            index[sel] = np.arange(len(sel))
        return cls([images], names, ids, index, ts)

    def __len__(self) -> int:
        return int(self._offsets[-1])

    @property
    def height(self) -> int:
        return int(self.shards[0].shape[1])

    @property
    def width(self) -> int:
        return int(self.shards[0].shape[2])

    def get(self, indices: np.ndarray | Sequence[int]) -> np.ndarray:
        """Frames at global ``indices`` as one ``(n, H, W, 3)`` uint8 array (in that order)."""
        idx = np.asarray(indices, dtype=np.int64)
        if len(self.shards) == 1:
            return np.asarray(self.shards[0][idx])
        out = np.empty((len(idx), self.height, self.width, 3), dtype=np.uint8)
        shard_of = np.searchsorted(self._offsets, idx, side="right") - 1
        for s in np.unique(shard_of):
            sel = np.flatnonzero(shard_of == s)
            local = idx[sel] - self._offsets[s]
            order = np.argsort(local)  # sorted reads are kinder to memory maps
            out[sel[order]] = self.shards[s][local[order]]
        return out

    def describe(self) -> dict[str, Any]:
        """A short description for the model's metadata."""
        kinds = self.info.get("kinds", {})
        return {
            "frames": len(self),
            "sources": len(self.sources),
            "videos": sum(1 for k in kinds.values() if k == "video") if kinds else None,
            "height": self.height,
            "width": self.width,
            "decode_width": self.info.get("decode_width"),
            "fps": self.info.get("fps"),
            "first_sources": self.sources[:5],
        }


class _ShardWriter:
    def __init__(self, store: Store, prefix: str, shard_size: int) -> None:
        self.store, self.prefix, self.shard_size = store, prefix.strip("/") + "/", shard_size
        self.frames: list[Frame] = []
        self.shards: list[dict[str, Any]] = []

    def add(self, frame: Frame) -> None:
        self.frames.append(frame)
        if len(self.frames) >= self.shard_size:
            self.flush()

    def flush(self) -> None:
        if not self.frames:
            return
        frames_key, meta_key = shard_keys(self.prefix, len(self.shards))
        write_shard(self.store, frames_key, meta_key, Shard.from_frames(self.frames))
        cut = len(self.prefix)
        self.shards.append({"key": frames_key[cut:], "index": meta_key[cut:],
                            "count": len(self.frames)})
        self.frames = []


def build_frame_dataset(
    inputs: Iterable[str | Path],
    store: Store,
    prefix: str = "frames",
    *,
    width: int = 100,
    fps: float = 10.0,
    shard_size: int = DEFAULT_SHARD_SIZE,
    max_frames: int | None = None,
) -> dict[str, Any]:
    """Decode ``inputs`` into shards under ``prefix``; return the manifest."""
    from farpoint.ingest import iter_frames
    from farpoint.ingest.frame import DecodeReport

    writer = _ShardWriter(store, prefix, shard_size)
    sources: dict[str, int] = {}
    reports: list[DecodeReport] = []
    size: tuple[int, int] | None = None
    count = padded = 0
    t0 = time.monotonic()
    try:
        for frame in iter_frames(list(inputs), width=width, fps=fps, reports=reports):
            img = frame.image
            if size is None:
                size = (int(img.shape[0]), int(img.shape[1]))
            elif img.shape[:2] != size:
                frame = dataclasses.replace(frame, image=letterbox_uint8(img, *size))
                padded += 1
            sources.setdefault(frame.source, len(sources))
            writer.add(frame)
            count += 1
            if max_frames is not None and count >= max_frames:
                break
    except NotFoundError as exc:  # a missing input is the user's mistake: exit code of InputError
        raise InputError(exc.message) from None
    writer.flush()
    if size is None:
        raise InputError("no frame could be decoded from the training input")
    kinds = {r.source: r.kind for r in reports}
    manifest = {
        "format": FORMAT,
        "height": size[0],
        "width": size[1],
        "count": count,
        "decode_width": width,
        "fps": fps,
        "letterboxed": padded,
        "sources": [{"source": s, "kind": kinds.get(s, "image")} for s in sources],
        "reports": [r.as_dict() for r in reports],
        "shards": writer.shards,
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "decode_seconds": round(time.monotonic() - t0, 3),
    }
    store.put_bytes(f"{prefix.strip('/')}/manifest.json", json.dumps(manifest).encode(),
                    "application/json")
    log.info("frame dataset: %d frames (%dx%d) from %d sources in %.1fs", count, size[1],
             size[0], len(sources), manifest["decode_seconds"])
    return manifest


def has_frame_dataset(store: Store, prefix: str = "frames") -> bool:
    """Whether a complete dataset of this format is there (an older cache is not)."""
    key = f"{prefix.strip('/')}/manifest.json"
    if not store.exists(key):
        return False
    return bool(json.loads(store.get_bytes(key)).get("format") == FORMAT)


def open_shards(
    store: Store, keys: Sequence[tuple[str, str]], info: dict[str, Any] | None = None,
    mmap: bool = True,
) -> FrameSet:
    """A :class:`FrameSet` over shards given as ``(frames key, meta key)`` pairs, in order.

    Source names are merged across shards (a video split over shards stays one source); shards
    of another frame size than the first are letterboxed to it (read into memory)."""
    if not keys:
        raise InputError("no frame shards to train on")
    arrays: list[np.ndarray] = []
    names: dict[str, int] = {}
    ids: list[np.ndarray] = []
    index: list[np.ndarray] = []
    times: list[np.ndarray] = []
    size: tuple[int, int] | None = None
    for frames_key, meta_key in keys:
        shard = read_shard(store, frames_key, meta_key, mmap=mmap)
        frames = shard.frames
        if size is None:
            size = (int(frames.shape[1]), int(frames.shape[2]))
        elif frames.shape[1:3] != size:
            frames = np.stack([letterbox_uint8(np.asarray(f), *size) for f in frames])
        t = shard.table
        lookup = np.asarray([names.setdefault(s, len(names)) for s in t.sources], dtype=np.int64)
        arrays.append(frames)
        ids.append(lookup[t.source_ids])
        index.append(t.indices)
        times.append(t.timestamps)
    return FrameSet(
        shards=arrays,
        sources=list(names),
        source_ids=np.concatenate(ids),
        frame_index=np.concatenate(index),
        timestamps=np.concatenate(times),
        info=dict(info or {}),
    )


def load_frame_set(store: Store, prefix: str = "frames", mmap: bool = True) -> FrameSet:
    """Read a dataset written by :func:`build_frame_dataset`."""
    prefix = prefix.strip("/")
    try:
        manifest = json.loads(store.get_bytes(f"{prefix}/manifest.json"))
    except NotFoundError:
        raise NotFoundError(f"no frame dataset at {prefix!r} (manifest.json missing)") from None
    if manifest.get("format") != FORMAT:
        raise InputError(f"{prefix}: not a {FORMAT} frame dataset")
    info = {
        "kinds": {s["source"]: s["kind"] for s in manifest["sources"]},
        "decode_width": manifest.get("decode_width"),
        "fps": manifest.get("fps"),
    }
    keys = [(f"{prefix}/{s['key']}", f"{prefix}/{s['index']}") for s in manifest["shards"]]
    return open_shards(store, keys, info, mmap=mmap)
