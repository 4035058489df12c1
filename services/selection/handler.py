"""JobNormalized -> picks (``selection.json``) -> JobSelected.

Selection is the core's :func:`farpoint.selection.frames.select_frames` (the same call ``farpoint
select`` makes) with the job's method, backend, seed (which draws the start point), early stop
and constraints. A job on a dataset selects around the dataset's labeled frames (and the spec's
``around`` frames): their rows' normalized vectors are ``labeled`` (:mod:`farpoint.jobs.datasets`).
With ``candidate_media_ids`` only those media's rows are candidates (k capped at their count);
the others only shaped the normalization (a dataset's automatic picks for a new medium).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import numpy as np

from farpoint.bus.base import Message
from farpoint.events import events_pb2 as pb
from farpoint.export.manifest import selection_details
from farpoint.jobs.artifacts import load_spec, read_table
from farpoint.jobs.datasets import candidate_rows, labeled_frames, labeled_rows, table_rows
from farpoint.jobs.events import event_id, make_event
from farpoint.jobs.keys import JobKeys
from farpoint.jobs.state import JobState, put_json
from farpoint.selection.frames import select_frames
from farpoint.store.base import get_array
from services.common.context import ServiceContext
from services.common.guard import guarded

log = logging.getLogger(__name__)
SERVICE = "selection"


def handle(ctx: ServiceContext, ev: pb.Event) -> None:
    tenant, job_id = ev.job.tenant, ev.job.job_id
    keys = JobKeys(tenant, job_id)
    state = JobState(ctx.store, tenant)
    if state.stage_done(job_id, "selection"):
        return
    spec = load_spec(ctx.store, keys)
    normalized = get_array(ctx.store, keys.normalized)
    n = normalized.shape[0]
    options: dict[str, Any] = spec.select_options()
    # every row's origin (one small meta per shard): constraints and time-aware methods use it
    table = read_table(ctx.store, keys)
    # select around the dataset's labeled frames and the job's own ``around`` (their rows' vectors)
    around = [(f.media_id, f.frame_index) for f in spec.around]
    if spec.dataset_id:
        around += labeled_frames(ctx.store, tenant, spec.dataset_id, ctx.records)
    rows = labeled_rows(table, around)
    labeled = normalized[rows] if len(rows) else None
    points, pool, k, cand = normalized, table, spec.k, None
    if spec.candidate_media_ids is not None:  # only these media's frames may be picked
        cand = candidate_rows(table, spec.candidate_media_ids)
        points, pool, k = normalized[cand], table_rows(table, cand), min(spec.k, len(cand))
    selection = select_frames(
        points,
        pool,
        k,
        method=spec.method,
        backend=spec.backend,
        seed=spec.seed,
        labeled=labeled,
        min_distance=spec.min_distance,
        select_options=options,
    )
    if cand is not None:  # back to the job's rows
        selection = replace(selection, indices=cand[selection.indices])
    put_json(
        ctx.store,
        keys.selection,
        {
            "indices": [int(i) for i in selection.indices],
            "distances": [float(d) if np.isfinite(d) else None for d in selection.distances],
            "stopped_early": bool(selection.stopped_early),
            "info": selection_details(selection.info),
        },
    )
    ctx.bus.publish(
        ctx.topics.job_selected,
        make_event(
            tenant,
            job_id,
            event_id(job_id, "selected"),
            pb.JobSelected(selection_key=keys.selection, n_picks=len(selection)),
        ),
        key=job_id,
    )
    state.mark_stage(job_id, "selection", {"n_picks": len(selection)})
    log.info("job %s: picked %d of %d", job_id, len(selection), n)


def make_handler(ctx: ServiceContext) -> Callable[[Message], None]:
    return guarded(ctx, SERVICE, "selection", ("job_normalized",), lambda ev, _: handle(ctx, ev))


def topics(ctx: ServiceContext) -> list[str]:
    return [ctx.topics.job_normalized]
