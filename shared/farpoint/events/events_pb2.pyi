from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class JobRef(_message.Message):
    __slots__ = ("tenant", "job_id")
    TENANT_FIELD_NUMBER: _ClassVar[int]
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    tenant: str
    job_id: str
    def __init__(self, tenant: _Optional[str] = ..., job_id: _Optional[str] = ...) -> None: ...

class JobSpec(_message.Message):
    __slots__ = ("media_ids", "k", "method", "embedder", "model", "normalize", "dims", "seed", "fps", "width", "backend", "min_distance", "shard_size", "group_quota", "min_gap_s")
    MEDIA_IDS_FIELD_NUMBER: _ClassVar[int]
    K_FIELD_NUMBER: _ClassVar[int]
    METHOD_FIELD_NUMBER: _ClassVar[int]
    EMBEDDER_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    NORMALIZE_FIELD_NUMBER: _ClassVar[int]
    DIMS_FIELD_NUMBER: _ClassVar[int]
    SEED_FIELD_NUMBER: _ClassVar[int]
    FPS_FIELD_NUMBER: _ClassVar[int]
    WIDTH_FIELD_NUMBER: _ClassVar[int]
    BACKEND_FIELD_NUMBER: _ClassVar[int]
    MIN_DISTANCE_FIELD_NUMBER: _ClassVar[int]
    SHARD_SIZE_FIELD_NUMBER: _ClassVar[int]
    GROUP_QUOTA_FIELD_NUMBER: _ClassVar[int]
    MIN_GAP_S_FIELD_NUMBER: _ClassVar[int]
    media_ids: _containers.RepeatedScalarFieldContainer[str]
    k: int
    method: str
    embedder: str
    model: str
    normalize: str
    dims: int
    seed: int
    fps: float
    width: int
    backend: str
    min_distance: float
    shard_size: int
    group_quota: int
    min_gap_s: float
    def __init__(self, media_ids: _Optional[_Iterable[str]] = ..., k: _Optional[int] = ..., method: _Optional[str] = ..., embedder: _Optional[str] = ..., model: _Optional[str] = ..., normalize: _Optional[str] = ..., dims: _Optional[int] = ..., seed: _Optional[int] = ..., fps: _Optional[float] = ..., width: _Optional[int] = ..., backend: _Optional[str] = ..., min_distance: _Optional[float] = ..., shard_size: _Optional[int] = ..., group_quota: _Optional[int] = ..., min_gap_s: _Optional[float] = ...) -> None: ...

class JobRequested(_message.Message):
    __slots__ = ("spec",)
    SPEC_FIELD_NUMBER: _ClassVar[int]
    spec: JobSpec
    def __init__(self, spec: _Optional[_Union[JobSpec, _Mapping]] = ...) -> None: ...

class ShardReady(_message.Message):
    __slots__ = ("shard", "n_frames", "frames_key", "meta_key")
    SHARD_FIELD_NUMBER: _ClassVar[int]
    N_FRAMES_FIELD_NUMBER: _ClassVar[int]
    FRAMES_KEY_FIELD_NUMBER: _ClassVar[int]
    META_KEY_FIELD_NUMBER: _ClassVar[int]
    shard: int
    n_frames: int
    frames_key: str
    meta_key: str
    def __init__(self, shard: _Optional[int] = ..., n_frames: _Optional[int] = ..., frames_key: _Optional[str] = ..., meta_key: _Optional[str] = ...) -> None: ...

class JobIngested(_message.Message):
    __slots__ = ("n_shards", "n_frames")
    N_SHARDS_FIELD_NUMBER: _ClassVar[int]
    N_FRAMES_FIELD_NUMBER: _ClassVar[int]
    n_shards: int
    n_frames: int
    def __init__(self, n_shards: _Optional[int] = ..., n_frames: _Optional[int] = ...) -> None: ...

class ShardEmbedded(_message.Message):
    __slots__ = ("shard", "n_frames", "vectors_key")
    SHARD_FIELD_NUMBER: _ClassVar[int]
    N_FRAMES_FIELD_NUMBER: _ClassVar[int]
    VECTORS_KEY_FIELD_NUMBER: _ClassVar[int]
    shard: int
    n_frames: int
    vectors_key: str
    def __init__(self, shard: _Optional[int] = ..., n_frames: _Optional[int] = ..., vectors_key: _Optional[str] = ...) -> None: ...

class RowsToNormalize(_message.Message):
    __slots__ = ("reducer_key", "start", "stop", "batch", "n_batches")
    REDUCER_KEY_FIELD_NUMBER: _ClassVar[int]
    START_FIELD_NUMBER: _ClassVar[int]
    STOP_FIELD_NUMBER: _ClassVar[int]
    BATCH_FIELD_NUMBER: _ClassVar[int]
    N_BATCHES_FIELD_NUMBER: _ClassVar[int]
    reducer_key: str
    start: int
    stop: int
    batch: int
    n_batches: int
    def __init__(self, reducer_key: _Optional[str] = ..., start: _Optional[int] = ..., stop: _Optional[int] = ..., batch: _Optional[int] = ..., n_batches: _Optional[int] = ...) -> None: ...

class JobNormalized(_message.Message):
    __slots__ = ("normalized_key", "n_frames", "method")
    NORMALIZED_KEY_FIELD_NUMBER: _ClassVar[int]
    N_FRAMES_FIELD_NUMBER: _ClassVar[int]
    METHOD_FIELD_NUMBER: _ClassVar[int]
    normalized_key: str
    n_frames: int
    method: str
    def __init__(self, normalized_key: _Optional[str] = ..., n_frames: _Optional[int] = ..., method: _Optional[str] = ...) -> None: ...

class JobSelected(_message.Message):
    __slots__ = ("selection_key", "n_picks")
    SELECTION_KEY_FIELD_NUMBER: _ClassVar[int]
    N_PICKS_FIELD_NUMBER: _ClassVar[int]
    selection_key: str
    n_picks: int
    def __init__(self, selection_key: _Optional[str] = ..., n_picks: _Optional[int] = ...) -> None: ...

class JobExported(_message.Message):
    __slots__ = ("manifest_key", "n_picks")
    MANIFEST_KEY_FIELD_NUMBER: _ClassVar[int]
    N_PICKS_FIELD_NUMBER: _ClassVar[int]
    manifest_key: str
    n_picks: int
    def __init__(self, manifest_key: _Optional[str] = ..., n_picks: _Optional[int] = ...) -> None: ...

class JobFailed(_message.Message):
    __slots__ = ("stage", "reason")
    STAGE_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    stage: str
    reason: str
    def __init__(self, stage: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class TrainRequested(_message.Message):
    __slots__ = ("media_ids", "kind", "model_name", "epochs", "fps", "width", "seed")
    MEDIA_IDS_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    MODEL_NAME_FIELD_NUMBER: _ClassVar[int]
    EPOCHS_FIELD_NUMBER: _ClassVar[int]
    FPS_FIELD_NUMBER: _ClassVar[int]
    WIDTH_FIELD_NUMBER: _ClassVar[int]
    SEED_FIELD_NUMBER: _ClassVar[int]
    media_ids: _containers.RepeatedScalarFieldContainer[str]
    kind: str
    model_name: str
    epochs: int
    fps: float
    width: int
    seed: int
    def __init__(self, media_ids: _Optional[_Iterable[str]] = ..., kind: _Optional[str] = ..., model_name: _Optional[str] = ..., epochs: _Optional[int] = ..., fps: _Optional[float] = ..., width: _Optional[int] = ..., seed: _Optional[int] = ...) -> None: ...

class ModelTrained(_message.Message):
    __slots__ = ("model_name", "model_key")
    MODEL_NAME_FIELD_NUMBER: _ClassVar[int]
    MODEL_KEY_FIELD_NUMBER: _ClassVar[int]
    model_name: str
    model_key: str
    def __init__(self, model_name: _Optional[str] = ..., model_key: _Optional[str] = ...) -> None: ...

class Event(_message.Message):
    __slots__ = ("event_id", "created_ms", "job", "job_requested", "shard_ready", "job_ingested", "shard_embedded", "job_normalized", "job_selected", "job_exported", "job_failed", "train_requested", "model_trained", "rows_to_normalize")
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    CREATED_MS_FIELD_NUMBER: _ClassVar[int]
    JOB_FIELD_NUMBER: _ClassVar[int]
    JOB_REQUESTED_FIELD_NUMBER: _ClassVar[int]
    SHARD_READY_FIELD_NUMBER: _ClassVar[int]
    JOB_INGESTED_FIELD_NUMBER: _ClassVar[int]
    SHARD_EMBEDDED_FIELD_NUMBER: _ClassVar[int]
    JOB_NORMALIZED_FIELD_NUMBER: _ClassVar[int]
    JOB_SELECTED_FIELD_NUMBER: _ClassVar[int]
    JOB_EXPORTED_FIELD_NUMBER: _ClassVar[int]
    JOB_FAILED_FIELD_NUMBER: _ClassVar[int]
    TRAIN_REQUESTED_FIELD_NUMBER: _ClassVar[int]
    MODEL_TRAINED_FIELD_NUMBER: _ClassVar[int]
    ROWS_TO_NORMALIZE_FIELD_NUMBER: _ClassVar[int]
    event_id: str
    created_ms: int
    job: JobRef
    job_requested: JobRequested
    shard_ready: ShardReady
    job_ingested: JobIngested
    shard_embedded: ShardEmbedded
    job_normalized: JobNormalized
    job_selected: JobSelected
    job_exported: JobExported
    job_failed: JobFailed
    train_requested: TrainRequested
    model_trained: ModelTrained
    rows_to_normalize: RowsToNormalize
    def __init__(self, event_id: _Optional[str] = ..., created_ms: _Optional[int] = ..., job: _Optional[_Union[JobRef, _Mapping]] = ..., job_requested: _Optional[_Union[JobRequested, _Mapping]] = ..., shard_ready: _Optional[_Union[ShardReady, _Mapping]] = ..., job_ingested: _Optional[_Union[JobIngested, _Mapping]] = ..., shard_embedded: _Optional[_Union[ShardEmbedded, _Mapping]] = ..., job_normalized: _Optional[_Union[JobNormalized, _Mapping]] = ..., job_selected: _Optional[_Union[JobSelected, _Mapping]] = ..., job_exported: _Optional[_Union[JobExported, _Mapping]] = ..., job_failed: _Optional[_Union[JobFailed, _Mapping]] = ..., train_requested: _Optional[_Union[TrainRequested, _Mapping]] = ..., model_trained: _Optional[_Union[ModelTrained, _Mapping]] = ..., rows_to_normalize: _Optional[_Union[RowsToNormalize, _Mapping]] = ...) -> None: ...
