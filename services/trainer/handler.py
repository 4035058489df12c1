"""TrainRequested -> ``farpoint train`` on the media -> ``models/<name>/model.pt`` -> done.

Training is the core's :func:`farpoint.train.train` on the job's media (downloaded to a temp
folder); the model file is stored under the tenant's ``models/<name>/`` with a ``meta.json``,
where selection jobs find it by name (``"model": "<name>"``). A redelivered request trains again
and rewrites the same keys.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Callable
from pathlib import Path

from farpoint.bus.base import Message
from farpoint.events import events_pb2 as pb
from farpoint.jobs.artifacts import fetch_media
from farpoint.jobs.events import event_id, make_event
from farpoint.jobs.keys import ModelKeys
from farpoint.jobs.state import JobState, now_ms, put_json
from services.common.context import ServiceContext
from services.common.guard import guarded

log = logging.getLogger(__name__)
SERVICE = "trainer"


def handle(ctx: ServiceContext, ev: pb.Event) -> None:
    from farpoint.train import train

    tenant, job_id = ev.job.tenant, ev.job.job_id
    req = ev.train_requested
    state = JobState(ctx.store, tenant)
    if state.stage_done(job_id, "train"):
        return
    mk = ModelKeys(tenant, req.model_name)
    with tempfile.TemporaryDirectory(prefix="farpoint-train-") as tmp:
        paths = fetch_media(ctx.store, tenant, list(req.media_ids), Path(tmp))
        out = Path(tmp) / "model.pt"
        result = train(
            [str(p) for p in paths],
            req.kind,
            out,
            width=req.width or 100,
            fps=req.fps or 10.0,
            epochs=req.epochs or None,
            seed=req.seed,
            device=ctx.settings.device,
            progress=False,
        )
        ctx.store.put_file(mk.model, Path(result))
    put_json(
        ctx.store,
        mk.meta,
        {
            "name": req.model_name,
            "kind": req.kind,
            "job_id": job_id,
            "media_ids": list(req.media_ids),
            "epochs": req.epochs,
            "created_ms": now_ms(),
        },
    )
    ctx.bus.publish(
        ctx.topics.job_done,
        make_event(
            tenant,
            job_id,
            event_id(job_id, "trained"),
            pb.ModelTrained(model_name=req.model_name, model_key=mk.model),
        ),
        key=job_id,
    )
    state.mark_stage(job_id, "train", {"model": req.model_name})
    log.info("job %s: model %s trained", job_id, req.model_name)


def make_handler(ctx: ServiceContext) -> Callable[[Message], None]:
    return guarded(ctx, SERVICE, "train", ("train_requested",), lambda ev, _: handle(ctx, ev))


def topics(ctx: ServiceContext) -> list[str]:
    return [ctx.topics.train_requested]
