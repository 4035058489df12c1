"""``/v1/models``: the embedders the tenant's training jobs produced."""

from __future__ import annotations

from fastapi import APIRouter

from farpoint.security.responses import error_responses
from services.gateway import handler
from services.gateway.deps import Ctx, ModelName, ReaderTenant
from services.gateway.routes.common import READ
from services.gateway.schemas import ModelList, ModelOut

router = APIRouter(prefix="/v1/models", tags=["training"])


@router.get("", response_model=ModelList, responses=error_responses(*READ))
def models(ctx: Ctx, t: ReaderTenant) -> ModelList:
    """Every model the tenant trained (its ``meta.json``)."""
    return ModelList(items=[ModelOut(**m) for m in handler.list_models(ctx, t)])


@router.get("/{name}", response_model=ModelOut, responses=error_responses(*READ, 404, 422))
def model(name: ModelName, ctx: Ctx, t: ReaderTenant) -> ModelOut:
    """One model's ``meta.json``."""
    return ModelOut(**handler.get_model(ctx, t, name))
