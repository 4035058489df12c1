"""JobSelected -> ``result/`` (frames, manifest.json/.csv, report.html) -> JobExported.

The export is the core's :func:`farpoint.export.picks.export_selection` (a second decoding pass that
saves only the picked frames, seed paper §5.1.2) writing under the job's ``result/`` prefix.
Picks name their medium by media id. ``stages/export.json`` is written last: the job succeeded.
"""

from __future__ import annotations

import json
import logging
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from farpoint.bus.base import Message
from farpoint.events import events_pb2 as pb
from farpoint.export import write_manifest
from farpoint.export.manifest import build_manifest, manifest_timings
from farpoint.export.picks import export_selection
from farpoint.jobs.artifacts import fetch_media, load_spec, read_table
from farpoint.jobs.events import event_id, make_event
from farpoint.jobs.keys import JobKeys
from farpoint.jobs.spec import SelectionSpec
from farpoint.jobs.state import JobState, get_json, now_ms
from farpoint.selection import Selection
from farpoint.store.base import get_array
from services.common.context import ServiceContext
from services.common.guard import guarded

log = logging.getLogger(__name__)
SERVICE = "export"


def job_manifest(
    ctx: ServiceContext,
    keys: JobKeys,
    spec: SelectionSpec,
    sel: dict[str, Any],
    n: int,
) -> dict[str, Any]:
    """The manifest ``farpoint select`` writes (the one builder,
    :func:`farpoint.export.manifest.build_manifest`), from the stages' records."""
    embedder_key = keys.root + "embedder.json"
    ingest = get_json(ctx.store, keys.ingest)
    return build_manifest(
        job_id=keys.job_id,
        k=spec.k,
        method=spec.method,
        backend=spec.backend,
        fps=spec.fps,
        width=spec.width,
        seed=spec.seed,
        dims=spec.dims,
        min_distance=spec.min_distance,
        labeled=[],  # jobs have no labeled pool (yet)
        select_options=spec.select_options(),
        embedder=get_json(ctx.store, embedder_key) if ctx.store.exists(embedder_key) else {},
        normalize=get_json(ctx.store, keys.normalize_info),
        inputs=ingest.get("inputs", []),
        quality=ingest.get("quality", {}),
        n_frames=n,
        stopped_early=bool(sel["stopped_early"]),
        selection=sel.get("info") or {},
    )


def handle(ctx: ServiceContext, ev: pb.Event) -> None:
    tenant, job_id = ev.job.tenant, ev.job.job_id
    keys = JobKeys(tenant, job_id)
    state = JobState(ctx.store, tenant)
    if state.stage_done(job_id, "export"):
        return
    spec = load_spec(ctx.store, keys)
    sel = json.loads(ctx.store.get_bytes(keys.selection))
    selection = Selection(
        indices=np.asarray(sel["indices"], np.int64),
        distances=np.asarray([np.inf if d is None else d for d in sel["distances"]], np.float64),
        stopped_early=bool(sel["stopped_early"]),
    )
    normalized = get_array(ctx.store, keys.normalized)
    table = read_table(ctx.store, keys)
    t0 = time.perf_counter()
    manifest = job_manifest(ctx, keys, spec, sel, len(table))
    with tempfile.TemporaryDirectory(prefix="farpoint-export-") as tmp:
        # only the media a pick comes from are read again (a dataset of many files, few picks)
        picked = {table.sources[int(r)] for r in selection.indices}
        needed = [m for m in spec.media_ids if m in picked]
        paths = fetch_media(ctx.store, tenant, needed, Path(tmp), ctx.records)
        local = {mid: str(p) for mid, p in zip(needed, paths, strict=True)}
        table.sources = [local.get(s, s) for s in table.sources]
        picks, _ = export_selection(
            ctx.store,
            keys.result,
            table,
            selection,
            normalized,
            manifest,
            frames=True,
            report=True,
            progress=False,
            seed=spec.seed,
        )
    media_of = {p: mid for mid, p in local.items()}
    for p in picks:
        p.source = media_of.get(p.source, p.source)
    created_ms = get_json(ctx.store, keys.job).get("created_ms")
    timings = {"export_s": time.perf_counter() - t0}
    if created_ms:  # from the job's creation at the gateway to its result: what a client waits
        timings["total_s"] = (now_ms() - created_ms) / 1000
    manifest["timings"] = manifest_timings(timings)
    write_manifest(ctx.store, keys.result, manifest, picks)
    ctx.bus.publish(
        ctx.topics.job_done,
        make_event(
            tenant,
            job_id,
            event_id(job_id, "exported"),
            pb.JobExported(manifest_key=keys.manifest, n_picks=len(picks)),
        ),
        key=job_id,
    )
    state.mark_stage(job_id, "export", {"n_picks": len(picks)})
    log.info("job %s: exported %d picks", job_id, len(picks))


def make_handler(ctx: ServiceContext) -> Callable[[Message], None]:
    return guarded(ctx, SERVICE, "export", ("job_selected",), lambda ev, _: handle(ctx, ev))


def topics(ctx: ServiceContext) -> list[str]:
    return [ctx.topics.job_selected]
