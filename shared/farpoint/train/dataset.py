"""Training frames as compact uint8 shards in a store (seed paper §3.4, §5.1.2).

The paper stores the whole down-scaled video "on disk as a numpy array" for training. We decode
the inputs once with :func:`farpoint.ingest.iter_frames` (videos at width 100, at most 10 fps;
still images and archives too) and write them through a :class:`farpoint.store.Store`::

    <prefix>/shard-00000.npy    (n, H, W, 3) uint8, up to ``shard_size`` frames
    <prefix>/shard-00000.json   {"rows": [[source_id, frame_index, timestamp_s], ...]}
    <prefix>/manifest.json      format "farpoint.frames/1", H, W, count, sources, shards

The manifest is written last, so a dataset with a manifest is complete. **One size per
dataset**: the first frame decoded fixes ``H x W``; any frame of another size is letterboxed to
it (scaled by one factor to fit, aspect kept, centred, padded with black). Videos of one aspect
ratio at the same width therefore pass through unchanged.

:class:`FrameSet` reads a dataset back (memory-mapped when the store is local) and knows, for
every frame, its source and timestamp — what the temporal view sampler needs.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from farpoint.errors import InputError, NotFoundError
from farpoint.store.base import Store, get_array, put_array

log = logging.getLogger(__name__)

FORMAT = "farpoint.frames/1"
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
        self.store, self.prefix, self.shard_size = store, prefix.strip("/"), shard_size
        self.frames: list[np.ndarray] = []
        self.rows: list[list[float]] = []
        self.shards: list[dict[str, Any]] = []

    def add(self, image: np.ndarray, source_id: int, index: int, ts: float) -> None:
        self.frames.append(image)
        self.rows.append([source_id, index, round(float(ts), 6)])
        if len(self.frames) >= self.shard_size:
            self.flush()

    def flush(self) -> None:
        if not self.frames:
            return
        name = f"shard-{len(self.shards):05d}"
        put_array(self.store, f"{self.prefix}/{name}.npy", np.stack(self.frames))
        self.store.put_bytes(f"{self.prefix}/{name}.json", json.dumps({"rows": self.rows}).encode(),
                             "application/json")
        self.shards.append({"key": f"{name}.npy", "index": f"{name}.json",
                            "count": len(self.frames)})
        self.frames, self.rows = [], []


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
                img = letterbox_uint8(img, *size)
                padded += 1
            sid = sources.setdefault(frame.source, len(sources))
            writer.add(img, sid, frame.index, frame.timestamp)
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
    return store.exists(f"{prefix.strip('/')}/manifest.json")


def load_frame_set(store: Store, prefix: str = "frames", mmap: bool = True) -> FrameSet:
    """Read a dataset written by :func:`build_frame_dataset`."""
    prefix = prefix.strip("/")
    try:
        manifest = json.loads(store.get_bytes(f"{prefix}/manifest.json"))
    except NotFoundError:
        raise NotFoundError(f"no frame dataset at {prefix!r} (manifest.json missing)") from None
    if manifest.get("format") != FORMAT:
        raise InputError(f"{prefix}: not a {FORMAT} frame dataset")
    shards: list[np.ndarray] = []
    rows: list[list[float]] = []
    for shard in manifest["shards"]:
        key = f"{prefix}/{shard['key']}"
        local = store.local_path(key) if mmap else None
        arr = np.load(local, mmap_mode="r") if local is not None else get_array(store, key)
        shards.append(arr)
        rows.extend(json.loads(store.get_bytes(f"{prefix}/{shard['index']}"))["rows"])
    table = np.asarray(rows, dtype=np.float64).reshape(-1, 3)
    info = {
        "kinds": {s["source"]: s["kind"] for s in manifest["sources"]},
        "decode_width": manifest.get("decode_width"),
        "fps": manifest.get("fps"),
    }
    return FrameSet(
        shards=shards,
        sources=[s["source"] for s in manifest["sources"]],
        source_ids=table[:, 0].astype(np.int64),
        frame_index=table[:, 1].astype(np.int64),
        timestamps=table[:, 2],
        info=info,
    )
