"""The one on-store format of decoded frames: uint8 frame shards with their frame-table columns.

Jobs (the ingest service, :mod:`farpoint.jobs.artifacts`) and training datasets
(:mod:`farpoint.train.dataset`) write and read the same objects, so training can start from a
job's shards without fetching or decoding its media again. A shard is two objects side by side::

    <prefix>shards/00000/frames.npy   (n, H, W, 3) uint8 RGB, one size per shard
    <prefix>shards/00000/meta.json    {"format": "farpoint.shard/1", "count": n,
                                       "height": H, "width": W,
                                       "sources": [name, ...],      # distinct, in order
                                       "rows": [[source, index, timestamp_s, pts], ...]}

``rows`` are the :class:`~farpoint.ingest.table.FrameTable` columns of each frame: ``source`` is an
index into the shard's own ``sources`` (a shard is self-contained), ``index`` the frame number in
its source, ``timestamp_s`` seconds, ``pts`` the stream timestamp or null. A job's sources are
media ids, a training dataset's are file names. ``frames.npy`` is written first, ``meta.json``
last: a shard with a ``meta.json`` is complete. Shards written before this format (a
``media_id`` with ``indices``/``timestamps``/``pts`` lists) are still read.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from farpoint.errors import InputError
from farpoint.ingest.frame import Frame
from farpoint.ingest.table import FrameTable
from farpoint.store.base import Store, get_array, put_array

FORMAT = "farpoint.shard/1"


def shard_keys(prefix: str, n: int) -> tuple[str, str]:
    """``(frames key, meta key)`` of shard ``n`` under ``prefix`` (``""`` or ending in ``/``)."""
    base = f"{prefix}shards/{n:05d}/"
    return base + "frames.npy", base + "meta.json"


@dataclass
class ShardTable:
    """The frame-table columns of one shard (everything but the pixels)."""

    sources: list[str]
    source_ids: np.ndarray  # (n,) int64, index into ``sources``
    indices: np.ndarray  # (n,) int64
    timestamps: np.ndarray  # (n,) float64
    pts: list[int | None] = field(default_factory=list)
    height: int | None = None
    width: int | None = None

    def __len__(self) -> int:
        return len(self.source_ids)

    def add_to(self, table: FrameTable) -> None:
        """Append these rows to a :class:`FrameTable` (source names, not ids)."""
        table.sources.extend(self.sources[int(i)] for i in self.source_ids)
        table.indices.extend(int(i) for i in self.indices)
        table.timestamps.extend(float(t) for t in self.timestamps)
        table.pts.extend(self.pts)

    def as_meta(self) -> dict[str, object]:
        rows = [
            [int(s), int(i), round(float(t), 6), None if p is None else int(p)]
            for s, i, t, p in zip(
                self.source_ids, self.indices, self.timestamps, self.pts, strict=True
            )
        ]
        return {
            "format": FORMAT,
            "count": len(rows),
            "height": self.height,
            "width": self.width,
            "sources": list(self.sources),
            "rows": rows,
        }

    @classmethod
    def from_meta(cls, meta: dict[str, Any], where: str = "shard") -> ShardTable:
        if meta.get("format") == FORMAT:
            rows = meta["rows"]
            arr = np.asarray([r[:3] for r in rows], dtype=np.float64).reshape(-1, 3)
            return cls(
                sources=[str(s) for s in meta["sources"]],
                source_ids=arr[:, 0].astype(np.int64),
                indices=arr[:, 1].astype(np.int64),
                timestamps=arr[:, 2],
                pts=[None if r[3] is None else int(r[3]) for r in rows],
                height=meta.get("height"),
                width=meta.get("width"),
            )
        if "media_id" in meta and "indices" in meta:  # job shards before farpoint.shard/1
            idx = list(meta["indices"])
            pts = meta.get("pts") or [None] * len(idx)
            return cls(
                sources=[str(meta["media_id"])],
                source_ids=np.zeros(len(idx), dtype=np.int64),
                indices=np.asarray(idx, dtype=np.int64),
                timestamps=np.asarray(meta["timestamps"], dtype=np.float64),
                pts=[None if q is None else int(q) for q in pts],
            )
        raise InputError(f"{where}: not a {FORMAT} frame shard")


@dataclass
class Shard:
    """Frames ``(n, H, W, 3)`` uint8 and their table."""

    frames: np.ndarray
    table: ShardTable

    @classmethod
    def from_frames(cls, frames: Sequence[Frame], source: str | None = None) -> Shard:
        """A shard of decoded frames; ``source`` renames every frame's source (a job names
        them by media id). All frames must have one size."""
        if not frames:
            raise InputError("a shard needs at least one frame")
        names = [source if source is not None else f.source for f in frames]
        sources = list(dict.fromkeys(names))
        lookup = {s: i for i, s in enumerate(sources)}
        images = np.stack([f.image for f in frames])
        if images.dtype != np.uint8 or images.ndim != 4 or images.shape[-1] != 3:
            raise InputError(
                f"shard frames must be (n, H, W, 3) uint8, got {images.shape} {images.dtype}"
            )
        table = ShardTable(
            sources=sources,
            source_ids=np.asarray([lookup[s] for s in names], dtype=np.int64),
            indices=np.asarray([f.index for f in frames], dtype=np.int64),
            timestamps=np.asarray([f.timestamp for f in frames], dtype=np.float64),
            pts=[None if f.pts is None else int(f.pts) for f in frames],
            height=int(images.shape[1]),
            width=int(images.shape[2]),
        )
        return cls(images, table)

    def __len__(self) -> int:
        return len(self.frames)

    def iter_frames(self) -> Iterator[Frame]:
        t = self.table
        for img, sid, idx, ts, q in zip(
            self.frames,
            t.source_ids,
            t.indices,
            t.timestamps,
            t.pts or [None] * len(t),
            strict=True,
        ):
            yield Frame(t.sources[int(sid)], int(idx), float(ts), img, q)


def write_shard(store: Store, frames_key: str, meta_key: str, shard: Shard) -> None:
    """Write the frames, then the meta (whose presence marks the shard complete)."""
    put_array(store, frames_key, np.ascontiguousarray(shard.frames))
    store.put_bytes(meta_key, json.dumps(shard.table.as_meta()).encode(), "application/json")


def read_shard_table(store: Store, meta_key: str) -> ShardTable:
    """Only the table of a shard (no pixels are read)."""
    return ShardTable.from_meta(json.loads(store.get_bytes(meta_key)), meta_key)


def read_shard(store: Store, frames_key: str, meta_key: str, mmap: bool = False) -> Shard:
    """A shard; with ``mmap`` and a local store, the frames are memory-mapped, not read."""
    table = read_shard_table(store, meta_key)
    local = store.local_path(frames_key) if mmap else None
    frames = np.load(local, mmap_mode="r") if local is not None else get_array(store, frames_key)
    if len(frames) != len(table):
        raise InputError(f"{meta_key}: {len(table)} rows for {len(frames)} frames")
    return Shard(frames, table)
