"""What a job asks for: the REST request body, stored as ``job.json`` and carried in events.

The defaults are `farpoint select`'s, so a job and the CLI with the same settings pick the same
frames.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    create_model,
    field_validator,
    model_validator,
)

from farpoint.embed.base import DEFAULT_EMBEDDER, NEEDS_MODEL
from farpoint.embed.base import REGISTRY as EMBEDDERS
from farpoint.events import events_pb2 as pb
from farpoint.ingest.frame import DEFAULT_FPS, DEFAULT_WIDTH
from farpoint.jobs.keys import ID_MAX_LENGTH, ID_PATTERN, check_id
from farpoint.normalize import DEFAULT_NORMALIZE
from farpoint.normalize import METHODS as NORMALIZERS
from farpoint.quality.thresholds import QualitySettings
from farpoint.selection.backends import BACKENDS
from farpoint.selection.registry import DEFAULT_METHOD, METHODS
from farpoint.train.methods import DEFAULT_METHOD as DEFAULT_TRAIN_METHOD
from farpoint.train.methods import METHODS as TRAIN_METHODS

MAX_MEDIA_PER_JOB = 1000


def one_of(names: Iterable[str], what: str) -> Any:
    """A string field that must name an entry of a registry; OpenAPI shows the names as an enum
    (read from the registry, so a new embedder or method appears in the schema by itself)."""
    choices = tuple(names)

    def check(value: str) -> str:
        if value not in choices:
            raise ValueError(f"unknown {what} {value!r}; choose one of {', '.join(choices)}")
        return value

    return Annotated[str, AfterValidator(check), Field(json_schema_extra={"enum": list(choices)})]


EmbedderName = one_of(EMBEDDERS, "embedder")
MethodName = one_of(METHODS, "method")
NormalizeName = one_of(NORMALIZERS, "normalization")
BackendName = one_of(BACKENDS, "selector backend")
TrainMethodName = one_of(TRAIN_METHODS, "training method")
# a media id or model name: the pattern check_id applies, so the schema says what is accepted
IdStr = Annotated[
    str, StringConstraints(min_length=1, max_length=ID_MAX_LENGTH, pattern=ID_PATTERN)
]


def _model_needed(schema: dict[str, Any]) -> None:
    """In the schema: an embedder that needs a trained model comes with ``model``."""
    without = [e for e in EMBEDDERS if e not in NEEDS_MODEL]
    needs = [e for e in EMBEDDERS if e in NEEDS_MODEL]
    schema["anyOf"] = [
        {"properties": {"embedder": {"enum": without}}},
        {
            "required": ["embedder", "model"],
            "properties": {"embedder": {"enum": needs}, "model": {"type": "string"}},
        },
    ]


class FrameRef(BaseModel):
    """One frame of a medium: its id and the frame's index in it."""

    model_config = ConfigDict(extra="forbid")
    media_id: IdStr  # type: ignore[valid-type]
    frame_index: int = Field(ge=0)


class SelectionSpec(BaseModel):
    """A selection job: pick ``k`` frames of the given media."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=_model_needed)

    media_ids: list[IdStr] = Field(
        min_length=1, max_length=MAX_MEDIA_PER_JOB, json_schema_extra={"uniqueItems": True}
    )
    k: int = Field(gt=0, le=1_000_000, description="how many frames to pick")
    method: MethodName = DEFAULT_METHOD  # type: ignore[valid-type]
    embedder: EmbedderName = DEFAULT_EMBEDDER  # type: ignore[valid-type]
    model: IdStr | Literal[""] | None = Field(
        None, description="a model name trained by a training job"
    )
    normalize: NormalizeName = DEFAULT_NORMALIZE  # type: ignore[valid-type]
    dims: int = Field(20, ge=1, le=1024)
    seed: int = Field(0, ge=0)
    fps: float = Field(DEFAULT_FPS, ge=0, description="frame-rate cap; 0 = every frame")
    width: int = Field(DEFAULT_WIDTH, ge=0, le=8192, description="decode width; 0 = full size")
    backend: BackendName = "auto"  # type: ignore[valid-type]
    min_distance: float | None = Field(None, gt=0)
    shard_size: int = Field(256, ge=1, le=100_000, description="frames per embedding shard")
    group_quota: int | None = Field(None, ge=1, description="at most this many picks per media")
    min_gap_s: float | None = Field(None, gt=0, description="seconds between picks of a media")
    dataset_id: IdStr | None = Field(  # type: ignore[valid-type]
        None,
        description="a dataset of the tenant's: picks are selected around its labeled frames",
    )
    quality_filter: QualitySettings = Field(
        default_factory=QualitySettings,
        description="the frame-quality filter run before selection (dark, bright, uniform, "
        'blurred and frozen frames dropped); {"enabled": false} keeps every frame',
    )
    candidate_media_ids: list[IdStr] | None = Field(  # type: ignore[valid-type]
        None,
        min_length=1,
        max_length=MAX_MEDIA_PER_JOB,
        description="pick only frames of these media (some of media_ids; k is capped at their "
        "frame count); the other media are context: they shape the normalization and their "
        "labeled frames are selected around. null: every frame is a candidate",
    )
    around: list[FrameRef] = Field(
        default_factory=list,
        max_length=100_000,
        description="frames to select around besides the dataset's labeled ones (e.g. its "
        "earlier picks); frames not among the job's are ignored",
    )

    @field_validator("media_ids")
    @classmethod
    def _ids(cls, v: list[str]) -> list[str]:
        for m in v:
            check_id(m, "media id")
        if len(set(v)) != len(v):
            raise ValueError("media_ids has duplicates")
        return v

    def check_candidates(self) -> None:
        """NotFoundError (like an unknown medium) for a candidate medium not among media_ids."""
        from farpoint.errors import NotFoundError

        for mid in self.candidate_media_ids or ():
            if mid not in self.media_ids:
                raise NotFoundError(f"candidate media {mid!r} is not one of the job's media_ids")

    @field_validator("model")
    @classmethod
    def _model(cls, v: str | None) -> str | None:
        return None if v in (None, "") else check_id(v, "model name")

    def select_options(self) -> dict[str, Any]:
        """The constraint options `farpoint select` passes as ``select_options``."""
        out: dict[str, Any] = {}
        if self.group_quota is not None:
            out["group_quota"] = self.group_quota
        if self.min_gap_s is not None:
            out["min_gap_s"] = self.min_gap_s
        return out

    def to_proto(self) -> pb.JobSpec:
        return pb.JobSpec(
            media_ids=self.media_ids,
            k=self.k,
            method=self.method,
            embedder=self.embedder,
            model=self.model or "",
            normalize=self.normalize,
            dims=self.dims,
            seed=self.seed,
            fps=self.fps,
            width=self.width,
            backend=self.backend,
            min_distance=self.min_distance or 0.0,
            shard_size=self.shard_size,
            group_quota=self.group_quota or 0,
            min_gap_s=self.min_gap_s or 0.0,
        )

    @classmethod
    def from_proto(cls, p: pb.JobSpec) -> SelectionSpec:
        return cls(
            media_ids=list(p.media_ids),
            k=p.k,
            method=p.method or DEFAULT_METHOD,
            embedder=p.embedder or DEFAULT_EMBEDDER,
            model=p.model or None,
            normalize=p.normalize or DEFAULT_NORMALIZE,
            dims=p.dims or 20,
            seed=p.seed,
            fps=p.fps,
            width=p.width,
            backend=p.backend or "auto",
            min_distance=p.min_distance or None,
            shard_size=p.shard_size or 256,
            group_quota=p.group_quota or None,
            min_gap_s=p.min_gap_s or None,
        )


# What a dataset's automatic picks may set: every SelectionSpec field but those the trigger
# decides (the media, k, the dataset, the candidates and what to select around). Defaults are
# SelectionSpec's, applied when each job is made (one home).
AUTO_DECIDED = ("media_ids", "k", "dataset_id", "candidate_media_ids", "around")


# The settings a dataset's automatic picks may give: SelectionSpec's own fields (types, checks,
# defaults, OpenAPI) but the decided ones, every one optional.
AutoPickSettings = create_model(  # type: ignore[call-overload]
    "AutoPickSettings",
    __config__=ConfigDict(extra="forbid"),
    __doc__="A selection job's settings but media_ids, k, dataset_id, candidate_media_ids and "
    "around; unset ones take the selection job's defaults.",
    **{
        name: (f.annotation, f)
        for name, f in SelectionSpec.model_fields.items()
        if name not in AUTO_DECIDED
    },
)


def _no_bool_as_number(given: Any, parsed: Any, path: str) -> None:
    """ValueError where ``given`` has a boolean that validation turned into something else."""
    if isinstance(given, bool):
        if not isinstance(parsed, bool):
            raise ValueError(f"{path}: expected a number, not {json.dumps(given)}")
    elif isinstance(given, dict) and isinstance(parsed, dict):
        for key, value in given.items():
            _no_bool_as_number(value, parsed.get(key), f"{path}.{key}")


class AutoPicks(BaseModel):
    """A dataset's automatic picks: ``per_media`` new picks for each medium added to it."""

    model_config = ConfigDict(extra="forbid")
    per_media: int = Field(
        ge=1, le=10_000, description="picks per new medium (k, capped at its frame count)"
    )
    spec: AutoPickSettings = Field(  # type: ignore[valid-type]
        default_factory=AutoPickSettings,
        description="the jobs' settings (method, embedder, normalize, ...); unset ones take "
        "the selection job's defaults",
    )

    @field_validator("spec", mode="before")
    @classmethod
    def _decided(cls, v: Any) -> Any:
        if not isinstance(v, dict):
            return v
        decided = sorted(set(v) & set(AUTO_DECIDED))
        if decided:
            raise ValueError(f"the trigger decides {', '.join(decided)}; leave them out")
        # a setting kept for later jobs is what was asked: no true/false read as a number
        parsed = SelectionSpec(**v, media_ids=["m"], k=1).model_dump(mode="json")
        _no_bool_as_number(v, parsed, "spec")
        return v

    @model_validator(mode="after")
    def _as_a_job(self) -> AutoPicks:
        self.job_spec(media_ids=["m"], k=1)  # the checks across fields (a model when needed)
        return self

    def settings(self) -> dict[str, Any]:
        """The settings given (JSON), without defaults: those are applied when a job is made."""
        out: dict[str, Any] = self.spec.model_dump(mode="json", exclude_unset=True)
        return out

    def as_dict(self) -> dict[str, Any]:
        return {"per_media": self.per_media, "spec": self.settings()}

    def job_spec(self, **decided: Any) -> SelectionSpec:
        """The selection job for one trigger (``decided``: the fields of AUTO_DECIDED)."""
        return SelectionSpec(**self.settings(), **decided)


class TrainSpec(BaseModel):
    """A training job: train an embedder on media, store it as model ``model_name``."""

    model_config = ConfigDict(extra="forbid")

    media_ids: list[IdStr] = Field(min_length=1, max_length=MAX_MEDIA_PER_JOB)
    model_name: IdStr
    kind: TrainMethodName = DEFAULT_TRAIN_METHOD  # type: ignore[valid-type]
    epochs: int = Field(5, ge=1, le=10_000)
    fps: float = Field(10.0, ge=0)
    width: int = Field(100, ge=0, le=8192)
    seed: int = Field(0, ge=0)

    @field_validator("media_ids")
    @classmethod
    def _ids(cls, v: list[str]) -> list[str]:
        for m in v:
            check_id(m, "media id")
        return v

    @field_validator("model_name")
    @classmethod
    def _name(cls, v: str) -> str:
        return check_id(v, "model name")

    def to_proto(self) -> pb.TrainRequested:
        return pb.TrainRequested(
            media_ids=self.media_ids,
            kind=self.kind,
            model_name=self.model_name,
            epochs=self.epochs,
            fps=self.fps,
            width=self.width,
            seed=self.seed,
        )
