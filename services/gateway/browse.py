"""The gateway's read-only views for the web console (:mod:`services.gateway.routes.browse`):
what the registries offer, the tenant's media, a finished job's 2-D map and its frames.

Nothing here is algorithmic: the map and the coverage curves are the core's
(:mod:`farpoint.export.embedding_map`, the same ones report.html draws); the options are read
from the one registry of each concern, so a new method, embedder or format appears in the
console's job form by itself.

A job's map is computed once from its ``normalize/normalized.npy`` and frame table, then kept
beside its result as ``result/map.json`` (deterministic for the job's seed, so a second gateway
replica writing it again writes the same bytes).
"""

from __future__ import annotations

import io
import json
import threading
from collections import OrderedDict
from typing import Any

import numpy as np

from farpoint.embed.base import DEFAULT_EMBEDDER, NEEDS_MODEL
from farpoint.embed.base import REGISTRY as EMBEDDERS
from farpoint.errors import NotFoundError
from farpoint.export.formats import FORMATS, read_picks
from farpoint.jobs.artifacts import load_spec, shard_key_pairs
from farpoint.jobs.keys import JobKeys, check_id
from farpoint.jobs.spec import SelectionSpec
from farpoint.jobs.state import MediaInfo, list_media_info, put_json
from farpoint.normalize import DEFAULT_NORMALIZE
from farpoint.normalize import METHODS as NORMALIZERS
from farpoint.selection.backends import BACKENDS
from farpoint.selection.registry import DEFAULT_METHOD, METHODS
from farpoint.settings import SecuritySettings
from farpoint.store.base import get_array
from services.common.context import ServiceContext
from services.gateway.handler import ResultNotReady

MAP_VERSION = 1
MAX_MAP_POINTS = 5000  # points the console draws; every pick is always among them


# -- options -------------------------------------------------------------------------------------
def options(limits: SecuritySettings) -> dict[str, Any]:
    """Every choice a selection job offers, its default, and this gateway's limits."""
    fields = SelectionSpec.model_fields
    defaults = {
        name: fields[name].default
        for name in ("dims", "seed", "fps", "width", "backend", "shard_size")
    }
    defaults["quality_filter"] = True
    return {
        "methods": [
            {"name": m.name, "summary": m.summary, "reference": m.reference}
            for m in METHODS.values()
        ],
        "default_method": DEFAULT_METHOD,
        "embedders": [{"name": e, "needs_model": e in NEEDS_MODEL} for e in EMBEDDERS],
        "default_embedder": DEFAULT_EMBEDDER,
        "normalizations": list(NORMALIZERS),
        "default_normalize": DEFAULT_NORMALIZE,
        "backends": list(BACKENDS),
        "formats": [
            {"name": f.name, "summary": f.summary, "tool": f.tool, "file": f.main}
            for f in FORMATS.values()
        ],
        "defaults": defaults,
        "limits": {
            "max_k": limits.max_k,
            "max_upload_bytes": limits.max_upload_bytes,
            "presign_expiry_s": limits.presign_expiry_s,
        },
    }


# -- media ---------------------------------------------------------------------------------------
def list_media(ctx: ServiceContext, tenant: str, limit: int) -> list[MediaInfo]:
    """The tenant's media, newest first, at most ``limit``."""
    return list_media_info(ctx.store, tenant, limit, ctx.records)


# -- a finished job's map ------------------------------------------------------------------------
def _succeeded(ctx: ServiceContext, tenant: str, job_id: str) -> JobKeys:
    status = ctx.jobs(tenant).status(check_id(job_id, "job id"))
    if status["status"] != "succeeded":
        raise ResultNotReady(f"job {job_id} is {status['status']}; no result yet")
    return JobKeys(tenant, job_id)


def _compute_map(ctx: ServiceContext, keys: JobKeys) -> dict[str, Any]:
    from farpoint.export.embedding_map import coverage_curves, map_2d
    from farpoint.ingest.shards import read_shard_table

    spec = load_spec(ctx.store, keys)
    _, picks = read_picks(ctx.store, keys.result)
    x = get_array(ctx.store, keys.normalized)
    lookup: dict[str, int] = {}
    src: list[int] = []
    index: list[int] = []
    times: list[float] = []
    starts: list[int] = []
    for _, meta_key in shard_key_pairs(ctx.store, keys):
        t = read_shard_table(ctx.store, meta_key)
        starts.append(len(src))
        for sid, i, ts in zip(t.source_ids, t.indices, t.timestamps, strict=True):
            name = t.sources[int(sid)]
            src.append(lookup.setdefault(name, len(lookup)))
            index.append(int(i))
            times.append(round(float(ts), 3))
    n, media = len(src), list(lookup)
    rows = np.array([p.row for p in picks], np.int64)
    xy = map_2d(x, spec.seed)
    ours, rand = coverage_curves(x, rows, spec.seed)
    rng = np.random.default_rng(spec.seed)
    shown = np.arange(n)
    if n > MAX_MAP_POINTS:
        shown = np.union1d(rng.choice(n, MAX_MAP_POINTS, replace=False), rows)
    src_a, times_a = np.asarray(src), np.asarray(times)
    per_media = []
    for mid in media:
        i = lookup[mid]
        mine = times_a[src_a == i]
        per_media.append(
            {"id": mid, "frames": int(mine.size), "duration_s": float(mine.max(initial=0.0))}
        )

    def r4(v: float) -> float:
        return round(float(v), 4)

    return {
        "version": MAP_VERSION,
        "id": keys.job_id,
        "method": spec.method,
        "n_frames": n,
        "media": per_media,
        "points": {
            "row": [int(r) for r in shown],
            "x": [r4(xy[r, 0]) for r in shown],
            "y": [r4(xy[r, 1]) for r in shown],
            "media": [src[r] for r in shown],
            "frame_index": [index[r] for r in shown],
            "timestamp_s": [times[r] for r in shown],
        },
        "picks": [
            {
                "rank": p.rank,
                "row": p.row,
                "x": r4(xy[p.row, 0]),
                "y": r4(xy[p.row, 1]),
                "media_id": p.source,
                "frame_index": p.frame_index,
                "timestamp_s": p.timestamp_s,
                "distance": p.distance,
            }
            for p in picks
        ],
        "coverage": {
            "k": list(range(1, len(rows) + 1)),
            "selection": [r4(v) for v in ours],
            "random": [r4(v) for v in rand],
        },
        "shard_starts": starts,
    }


def job_map(ctx: ServiceContext, tenant: str, job_id: str) -> dict[str, Any]:
    """A succeeded job's map (409 before): computed once, then read from ``result/map.json``."""
    keys = _succeeded(ctx, tenant, job_id)
    key = keys.result + "map.json"
    if ctx.store.exists(key):
        cached: dict[str, Any] = json.loads(ctx.store.get_bytes(key))
        if cached.get("version") == MAP_VERSION:
            return cached
    out = _compute_map(ctx, keys)
    put_json(ctx.store, key, out)
    return out


# -- one decoded frame of a job ------------------------------------------------------------------
_SHARDS: OrderedDict[tuple[str, str, int], np.ndarray] = OrderedDict()
_SHARDS_LOCK = threading.Lock()
_SHARDS_KEPT = 8  # a hover moves over nearby points: the last few shards stay in memory


def _shard_frames(ctx: ServiceContext, keys: JobKeys, n: int) -> np.ndarray:
    name = (keys.tenant, keys.job_id, n)
    with _SHARDS_LOCK:
        if name in _SHARDS:
            _SHARDS.move_to_end(name)
            return _SHARDS[name]
    frames = get_array(ctx.store, keys.frames(n))
    with _SHARDS_LOCK:
        _SHARDS[name] = frames
        while len(_SHARDS) > _SHARDS_KEPT:
            _SHARDS.popitem(last=False)
    return frames


def job_frame(ctx: ServiceContext, tenant: str, job_id: str, row: int) -> bytes:
    """Row ``row`` of a succeeded job as the JPEG ingest decoded (the ~100 px the embedder saw)."""
    from PIL import Image

    info = job_map(ctx, tenant, job_id)
    if not 0 <= row < info["n_frames"]:
        raise NotFoundError(f"job {job_id} has no frame row {row} (it has {info['n_frames']})")
    starts = info["shard_starts"]
    n = int(np.searchsorted(np.asarray(starts), row, side="right")) - 1
    frames = _shard_frames(ctx, JobKeys(tenant, job_id), n)
    buf = io.BytesIO()
    Image.fromarray(np.asarray(frames[row - starts[n]])).save(buf, "JPEG", quality=85)
    return buf.getvalue()
