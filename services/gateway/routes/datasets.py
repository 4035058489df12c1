"""``/v1/datasets``: named sets of media whose frames and vectors are computed once and reused
by every job on them, and their labeled set (picks sent for labeling) new jobs select around."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from farpoint.jobs.keys import ID_MAX_LENGTH, ID_PATTERN
from farpoint.security.responses import error_responses
from services.gateway import handler
from services.gateway.deps import Ctx, Limits, ReaderTenant, WriterTenant
from services.gateway.routes.common import READ, WRITE
from services.gateway.schemas import (
    DatasetIn,
    DatasetList,
    DatasetMediaIn,
    DatasetOut,
    DatasetPatch,
    LabeledIn,
)

router = APIRouter(prefix="/v1/datasets", tags=["datasets"])

DatasetId = Annotated[
    str,
    Path(
        pattern=ID_PATTERN,
        min_length=1,
        max_length=ID_MAX_LENGTH,
        description="the dataset id: letters, digits, '_', '.', '-' (no '..')",
    ),
]


@router.post(
    "",
    response_model=DatasetOut,
    status_code=201,
    responses=error_responses(*WRITE, 400, 404, 422),
)
def create(body: DatasetIn, ctx: Ctx, t: WriterTenant, limits: Limits) -> DatasetOut:
    """Create a dataset (the same name again returns it, with ``media_ids`` added and ``auto``
    set when given). With ``auto``, each medium added from then on starts a selection job of
    ``auto.per_media`` picks from its frames (listed with a ``trigger``)."""
    data = handler.create_dataset(ctx, t, body.name, body.media_ids, limits, body.auto)
    return DatasetOut(**data)


@router.get("", response_model=DatasetList, responses=error_responses(*READ, 422))
def list_datasets(ctx: Ctx, t: ReaderTenant) -> DatasetList:
    """The tenant's datasets, oldest first."""
    return DatasetList(items=[DatasetOut(**d) for d in handler.list_datasets(ctx, t)])


@router.get("/{dataset_id}", response_model=DatasetOut, responses=error_responses(*READ, 404, 422))
def get(dataset_id: DatasetId, ctx: Ctx, t: ReaderTenant) -> DatasetOut:
    """One dataset: its media and labeled frames."""
    return DatasetOut(**handler.get_dataset(ctx, t, dataset_id))


@router.post(
    "/{dataset_id}/media",
    response_model=DatasetOut,
    responses=error_responses(*WRITE, 400, 404, 422),
)
def add_media(
    dataset_id: DatasetId, body: DatasetMediaIn, ctx: Ctx, t: WriterTenant, limits: Limits
) -> DatasetOut:
    """Add the tenant's media to the dataset (404: unknown dataset; 422: an unknown medium).
    Each medium new to a dataset with automatic picks starts its selection job."""
    return DatasetOut(**handler.add_dataset_media(ctx, t, dataset_id, body.media_ids, limits))


@router.patch(
    "/{dataset_id}",
    response_model=DatasetOut,
    responses=error_responses(*WRITE, 400, 404, 422),
)
def update(dataset_id: DatasetId, body: DatasetPatch, ctx: Ctx, t: WriterTenant) -> DatasetOut:
    """Set the dataset's automatic picks (``auto``: ``per_media`` and the jobs' settings; null
    turns them off) for the media added from now on."""
    return DatasetOut(**handler.update_dataset(ctx, t, dataset_id, body.auto))


@router.post(
    "/{dataset_id}/labeled",
    response_model=DatasetOut,
    responses=error_responses(*WRITE, 400, 404, 409, 422),
)
def labeled(dataset_id: DatasetId, body: LabeledIn, ctx: Ctx, t: WriterTenant) -> DatasetOut:
    """Mark a succeeded job's picks as sent for labeling: later jobs on the dataset
    (``dataset_id`` in the job) pick around them (409 until the job succeeded, 422 for an
    unknown job)."""
    return DatasetOut(**handler.mark_labeled(ctx, t, dataset_id, body.job_id))
