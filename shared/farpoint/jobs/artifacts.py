"""Reading and writing a job's stage outputs in the store (shards, tables, vectors, media).

These helpers only move data between the store and the core's types (:class:`Frame`,
:class:`~farpoint.ingest.table.FrameTable`, numpy arrays); the stages themselves are the core's.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

import numpy as np

from farpoint.errors import InputError, NotFoundError
from farpoint.ingest import shards
from farpoint.ingest.frame import Frame
from farpoint.ingest.table import FrameTable
from farpoint.jobs.keys import JobKeys, MediaKeys
from farpoint.jobs.spec import SelectionSpec
from farpoint.jobs.state import get_json, get_media_info
from farpoint.records.base import Records
from farpoint.store.base import Store, get_array


def load_spec(store: Store, keys: JobKeys) -> SelectionSpec:
    """The job's spec as the gateway stored it."""
    job = get_json(store, keys.job)
    if job.get("kind") != "select":
        raise InputError(f"job {keys.job_id} is a {job.get('kind')} job, not a selection job")
    return SelectionSpec(**job["spec"])


def fetch_media(
    store: Store,
    tenant: str,
    media_ids: Sequence[str],
    folder: Path,
    records: Records | None = None,
) -> list[Path | str]:
    """Download each uploaded medium to ``folder/<media_id><ext>`` (the name decides how it is
    decoded); a medium that references an object (``s3://...``, POST /v1/media/imports) is
    returned as its URI, which ingest streams without a copy (:mod:`farpoint.ingest.remote`)."""
    paths: list[Path | str] = []
    for mid in media_ids:
        info = get_media_info(store, tenant, mid, records)
        if info.uri:
            paths.append(info.uri)
            continue
        path = folder / f"{mid}{info.ext}"
        if not path.exists() or path.stat().st_size != info.size:
            store.get_file(MediaKeys(tenant, mid).original, path)
        paths.append(path)
    return paths


def write_shard(
    store: Store, keys: JobKeys, n: int, frames: Sequence[Frame], media_id: str
) -> None:
    """Shard ``n`` of the job in the one shard format (:mod:`farpoint.ingest.shards`), its
    source named by ``media_id``."""
    shards.write_shard(store, keys.frames(n), keys.shard_meta(n),
                       shards.Shard.from_frames(frames, source=media_id))


def write_media_shards(
    store: Store, keys: JobKeys, frames: Iterable[Frame], media_of: dict[str, str],
    shard_size: int,
) -> Iterator[tuple[int, list[Frame]]]:
    """Write ``frames`` as the job's shards (at most ``shard_size`` frames of one medium and
    one size each, sources renamed by ``media_of``); yield ``(n, frames)`` after each."""
    n = 0
    batch: list[Frame] = []
    for frame in frames:
        if batch and (len(batch) >= shard_size or frame.source != batch[0].source
                      or frame.image.shape != batch[0].image.shape):
            write_shard(store, keys, n, batch, media_of[batch[0].source])
            yield n, batch
            n, batch = n + 1, []
        batch.append(frame)
    if batch:
        write_shard(store, keys, n, batch, media_of[batch[0].source])
        yield n, batch


def read_shard_frames(store: Store, keys: JobKeys, n: int) -> Iterator[Frame]:
    return shards.read_shard(store, keys.frames(n), keys.shard_meta(n)).iter_frames()


def n_shards(store: Store, keys: JobKeys) -> int:
    return int(get_json(store, keys.ingest)["n_shards"])


def shard_key_pairs(store: Store, keys: JobKeys) -> list[tuple[str, str]]:
    """``(frames key, meta key)`` of every shard of an ingested job, in order."""
    return [(keys.frames(n), keys.shard_meta(n)) for n in range(n_shards(store, keys))]


def find_ingested_job(
    store: Store, tenant: str, media_ids: Sequence[str], width: int, fps: float,
    limit: int = 1000,
) -> str | None:
    """The newest of the tenant's last ``limit`` selection jobs that decoded exactly
    ``media_ids`` (in order) at ``width`` / ``fps`` and finished ingesting, or None."""
    from farpoint.jobs.state import JobState

    state = JobState(store, tenant)
    ids: list[str] = []
    cursor: str | None = None
    while True:
        page, cursor = state.list(cursor, limit=200)
        ids.extend(page)
        if cursor is None:
            break
    for job_id in reversed(ids[-limit:]):
        keys = JobKeys(tenant, job_id)
        try:
            job = get_json(store, keys.job)
        except NotFoundError:
            continue
        spec = job.get("spec") or {}
        if (job.get("kind") == "select" and list(spec.get("media_ids", [])) == list(media_ids)
                and (spec.get("width") or 0) == width and float(spec.get("fps") or 0) == fps
                and store.exists(keys.ingest)):
            return job_id
    return None


def read_table(store: Store, keys: JobKeys) -> FrameTable:
    """Every row's origin, shards in order (sources are media ids)."""
    table = FrameTable()
    for _, meta_key in shard_key_pairs(store, keys):
        shards.read_shard_table(store, meta_key).add_to(table)
    return table


def read_vectors(store: Store, keys: JobKeys) -> np.ndarray:
    """All the job's vectors in frame order (shard 0 first)."""
    return np.concatenate([get_array(store, keys.vectors(n)) for n in range(n_shards(store, keys))])
