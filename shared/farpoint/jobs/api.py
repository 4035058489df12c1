"""The REST API's response bodies, shared by the gateway that serves them and the Python client
(:mod:`farpoint.client`) that reads them: one pydantic model per shape, errors included.

They live in the core so the client needs no service code (a package never imports one above
it); :mod:`services.gateway.schemas` re-exports them for the routes. Job request bodies are
:class:`~farpoint.jobs.spec.SelectionSpec` and :class:`~farpoint.jobs.spec.TrainSpec`; every
refusal is :class:`ErrorOut` (:mod:`farpoint.security.responses`).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from farpoint.jobs.spec import AutoPicks
from farpoint.security.responses import ErrorDetail, ErrorOut

__all__ = [
    "Created",
    "DatasetIn",
    "DatasetList",
    "DatasetMediaIn",
    "DatasetOut",
    "DatasetPatch",
    "Deleted",
    "LabeledFrame",
    "LabeledIn",
    "ErrorDetail",
    "ErrorOut",
    "JobList",
    "JobOut",
    "MediaImportIn",
    "MediaList",
    "MediaOut",
    "ModelList",
    "ModelOut",
    "PresignIn",
    "PresignOut",
    "ResultItem",
    "ResultOut",
]


class Created(BaseModel):
    id: str = Field(description="the new job's id")


class MediaOut(BaseModel):
    id: str
    filename: str
    kind: str = Field(description="video | image | archive (sniffed from the bytes)")
    size: int
    created_ms: int
    uri: str | None = Field(
        None, description="the object a referenced medium reads from (s3://...); null: uploaded"
    )


class MediaImportIn(BaseModel):
    """Reference media in a bucket instead of uploading them."""

    uri: str = Field(
        min_length=6,
        max_length=1024,
        pattern=r"^s3://",
        description="s3://bucket/prefix/ (every video, image and archive under it, sorted by "
        "key) or s3://bucket/key; must lie under a prefix the tenant may read",
    )


class MediaList(BaseModel):
    items: list[MediaOut]


class PresignIn(BaseModel):
    filename: str = Field(min_length=1, max_length=255)


class PresignOut(BaseModel):
    id: str = Field(description="the media id to complete once the bytes are uploaded")
    upload_url: str = Field(description="PUT the file's bytes here before it expires")
    method: str = "PUT"
    expires_s: int
    filename: str


class JobOut(BaseModel):
    id: str
    kind: str = Field(description="select | train")
    status: str = Field(description="queued | running | succeeded | failed")
    progress: float
    error: str | None
    stages: dict[str, Any]
    created_ms: int
    trigger: dict[str, Any] | None = Field(
        None,
        description="what submitted the job when no request did: a dataset's automatic picks "
        '({"kind": "dataset-media", "dataset_id", "media_id"}); null: a request',
    )


class JobList(BaseModel):
    items: list[JobOut]
    next_cursor: str | None = Field(description="pass back as `cursor` for the next page")


class ResultItem(BaseModel):
    media_id: str
    frame_index: int
    timestamp_s: float
    rank: int
    distance: float | None
    url: str | None = Field(description="presigned URL of the full-size frame")


class ResultOut(BaseModel):
    id: str
    items: list[ResultItem]
    n_frames: int | None
    manifest_url: str
    report_url: str | None


class ModelOut(BaseModel):
    """A trained model's ``meta.json`` (what the trainer recorded; more fields may follow)."""

    model_config = ConfigDict(extra="allow", protected_namespaces=())

    name: str
    kind: str | None = None
    job_id: str | None = None
    media_ids: list[str] | None = None
    epochs: int | None = None
    created_ms: int | None = None


class ModelList(BaseModel):
    items: list[ModelOut]


_ID = r"^[A-Za-z0-9](?:\.?[A-Za-z0-9_-])*\.?$"  # farpoint.jobs.keys.ID_PATTERN


class DatasetIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=200, description="unique per tenant")
    media_ids: list[str] = Field(
        default_factory=list, max_length=1000, description="media to add now (the tenant's)"
    )
    auto: AutoPicks | None = Field(
        None,
        description="N new picks per medium added from now on (one selection job per medium, "
        "around the labeled frames and earlier picks); null: none",
    )


class DatasetPatch(BaseModel):
    """Change a dataset's settings."""

    model_config = ConfigDict(extra="forbid")
    auto: AutoPicks | None = Field(description="automatic picks per medium added; null: off")


class DatasetMediaIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    media_ids: list[str] = Field(min_length=1, max_length=1000)


class LabeledIn(BaseModel):
    """Mark frames as sent for labeling: a finished job's picks (``job_id``)."""

    model_config = ConfigDict(extra="forbid")
    job_id: str = Field(min_length=1, max_length=128, pattern=_ID)


class LabeledFrame(BaseModel):
    media_id: str
    frame_index: int


class DatasetOut(BaseModel):
    id: str
    name: str
    created_ms: int
    media_ids: list[str]
    labeled: list[LabeledFrame] = Field(description="frames sent for labeling")
    auto: dict[str, Any] | None = Field(
        None,
        description='automatic picks per medium added: {"per_media", "spec": the settings '
        "given (the rest are the selection job's defaults)}; null: none",
    )


class DatasetList(BaseModel):
    items: list[DatasetOut]


class Deleted(BaseModel):
    id: str
    objects: int = Field(description="objects removed from the store")
