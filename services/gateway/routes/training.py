"""``/v1/training-jobs``: train an embedder on uploaded media (later jobs name it as ``model``)."""

from __future__ import annotations

from fastapi import APIRouter

from farpoint.jobs.spec import TrainSpec
from farpoint.security.responses import error_responses
from services.gateway import handler
from services.gateway.deps import Ctx, Limits, WriterTenant
from services.gateway.routes.common import WRITE
from services.gateway.schemas import Created

router = APIRouter(prefix="/v1/training-jobs", tags=["training"])


@router.post(
    "",
    response_model=Created,
    status_code=201,
    responses=error_responses(*WRITE, 400, 404, 422, 429),
)
def create_training(spec: TrainSpec, ctx: Ctx, t: WriterTenant, limits: Limits) -> Created:
    """Train an embedder on media; later jobs name it as ``model``."""
    return Created(id=handler.create_train_job(ctx, t, spec, limits))
