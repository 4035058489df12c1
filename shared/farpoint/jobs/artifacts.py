"""Reading and writing a job's stage outputs in the store (shards, tables, vectors, media).

These helpers only move data between the store and the core's types (:class:`Frame`,
:class:`~farpoint.ingest.table.FrameTable`, numpy arrays); the stages themselves are the core's.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np

from farpoint.errors import InputError
from farpoint.ingest.frame import Frame
from farpoint.ingest.table import FrameTable
from farpoint.jobs.keys import JobKeys, MediaKeys
from farpoint.jobs.spec import SelectionSpec
from farpoint.jobs.state import get_json, get_media_info, put_json
from farpoint.store.base import Store, get_array, put_array


def load_spec(store: Store, keys: JobKeys) -> SelectionSpec:
    """The job's spec as the gateway stored it."""
    job = get_json(store, keys.job)
    if job.get("kind") != "select":
        raise InputError(f"job {keys.job_id} is a {job.get('kind')} job, not a selection job")
    return SelectionSpec(**job["spec"])


def fetch_media(store: Store, tenant: str, media_ids: Sequence[str], folder: Path) -> list[Path]:
    """Download each medium to ``folder/<media_id><ext>`` (the name decides how it is decoded)."""
    paths = []
    for mid in media_ids:
        info = get_media_info(store, tenant, mid)
        path = folder / f"{mid}{info.ext}"
        if not path.exists() or path.stat().st_size != info.size:
            store.get_file(MediaKeys(tenant, mid).original, path)
        paths.append(path)
    return paths


def write_shard(
    store: Store, keys: JobKeys, n: int, frames: Sequence[Frame], media_id: str
) -> None:
    """One shard: ``frames.npy`` (uint8 NHWC) and ``meta.json`` (origin of each row)."""
    put_array(store, keys.frames(n), np.stack([f.image for f in frames]))
    put_json(
        store,
        keys.shard_meta(n),
        {
            "media_id": media_id,
            "indices": [int(f.index) for f in frames],
            "timestamps": [float(f.timestamp) for f in frames],
            "pts": [None if f.pts is None else int(f.pts) for f in frames],
        },
    )


def read_shard_frames(store: Store, keys: JobKeys, n: int) -> Iterator[Frame]:
    images = get_array(store, keys.frames(n))
    meta = json.loads(store.get_bytes(keys.shard_meta(n)))
    pts = meta.get("pts") or [None] * len(meta["indices"])  # absent in older shards
    for img, idx, ts, q in zip(images, meta["indices"], meta["timestamps"], pts, strict=True):
        yield Frame(meta["media_id"], int(idx), float(ts), img, None if q is None else int(q))


def n_shards(store: Store, keys: JobKeys) -> int:
    return int(get_json(store, keys.ingest)["n_shards"])


def read_table(store: Store, keys: JobKeys) -> FrameTable:
    """Every row's origin, shards in order (sources are media ids)."""
    table = FrameTable()
    for n in range(n_shards(store, keys)):
        meta = get_json(store, keys.shard_meta(n))
        table.sources.extend([meta["media_id"]] * len(meta["indices"]))
        table.indices.extend(int(i) for i in meta["indices"])
        table.timestamps.extend(float(t) for t in meta["timestamps"])
        pts = meta.get("pts") or [None] * len(meta["indices"])  # absent in older shards
        table.pts.extend(None if q is None else int(q) for q in pts)
    return table


def read_vectors(store: Store, keys: JobKeys) -> np.ndarray:
    """All the job's vectors in frame order (shard 0 first)."""
    return np.concatenate([get_array(store, keys.vectors(n)) for n in range(n_shards(store, keys))])
