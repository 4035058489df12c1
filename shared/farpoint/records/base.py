"""The records interface: tenants, API keys, media, datasets, jobs, stage progress, quotas, audit.

The object store keeps bulk data (media, frames, vectors, models, results); records keep what is
looked up, listed and counted: who may call, what a tenant owns, where each job is. Two
implementations pass one contract suite (``tests/contracts/records_contract.py``):
:class:`farpoint.records.memory.MemoryRecords` (dicts under a lock, for unit tests and the
embedded default) and :class:`farpoint.records.sql.SqlRecords` (SQLAlchemy; PostgreSQL in
production, SQLite for one process; schema by Alembic migrations).

Lifecycle: a job is created ``queued`` (claiming one of its tenant's quota slots in the same
transaction: exact under concurrent requests), turns ``running`` at its first stage progress and
ends ``succeeded``, ``failed`` (with stage and reason) or ``cancelled``. The first end wins, and
ending frees the quota slot at once. A job whose last progress is older than a deadline is
*stalled*: the watchdog fails it (``services/common/watchdog.py``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, runtime_checkable

JobStatus = Literal["queued", "running", "succeeded", "failed", "cancelled"]


def now_ms() -> int:
    """Milliseconds since the epoch: the one clock of records, job state and events."""
    return int(time.time() * 1000)


ACTIVE: tuple[str, ...] = ("queued", "running")
TERMINAL: tuple[str, ...] = ("succeeded", "failed", "cancelled")


@dataclass(frozen=True)
class Tenant:
    id: str
    max_active_jobs: int | None
    created_ms: int


@dataclass(frozen=True)
class ApiKey:
    key_hash: str
    tenant: str
    role: str
    name: str
    created_ms: int
    revoked_ms: int | None = None


@dataclass(frozen=True)
class Dataset:
    id: str
    tenant: str
    name: str
    created_ms: int
    auto_picks_per_media: int | None = None  # N new picks per medium added; None: off
    auto_spec: dict[str, Any] | None = None  # the settings of those jobs (SelectionSpec fields)


@dataclass(frozen=True)
class Media:
    id: str
    tenant: str
    filename: str
    kind: str
    size: int
    content_type: str
    created_ms: int
    ext: str = ""  # the extension decoding goes by (".mp4"), from the sniffed type
    uri: str | None = None  # s3://... when the medium references an object instead of an upload
    sha256: str | None = None


@dataclass(frozen=True)
class StageProgress:
    stage: str
    done: int
    total: int | None
    updated_ms: int


@dataclass(frozen=True)
class Job:
    id: str
    tenant: str
    kind: str
    status: str
    created_ms: int
    updated_ms: int
    spec: dict[str, Any] = field(default_factory=dict)
    dataset_id: str | None = None
    stage: str | None = None
    reason: str | None = None
    finished_ms: int | None = None

    @property
    def active(self) -> bool:
        return self.status in ACTIVE

    @property
    def cursor(self) -> str:
        """The paging cursor just after this job (order: creation time, then id)."""
        return f"{self.created_ms:015d}-{self.id}"


@dataclass(frozen=True)
class AuditEntry:
    tenant: str
    at_ms: int
    actor: str
    action: str
    target: str
    detail: dict[str, Any] = field(default_factory=dict)


@runtime_checkable
class Records(Protocol):
    """Every records implementation. Methods raise :class:`farpoint.errors.NotFoundError` for an
    unknown id of the caller's tenant (another tenant's ids are unknown too)."""

    # -- tenants and quotas ---------------------------------------------------------------
    def ensure_tenant(self, tenant: str, max_active_jobs: int | None = None) -> Tenant:
        """The tenant, created when missing (an existing tenant's quota is left as it is)."""

    def set_quota(self, tenant: str, max_active_jobs: int | None) -> None: ...

    def get_tenant(self, tenant: str) -> Tenant: ...

    # -- API keys -------------------------------------------------------------------------
    def add_key(self, tenant: str, key_hash: str, role: str, name: str = "") -> ApiKey: ...

    def find_key(self, key_hash: str) -> ApiKey | None:
        """The unrevoked key with this hash, or None."""

    def revoke_key(self, tenant: str, key_hash: str) -> None: ...

    # -- datasets and media ---------------------------------------------------------------
    def create_dataset(self, tenant: str, name: str, dataset_id: str | None = None) -> Dataset:
        """A new dataset; the same name again returns the existing one (idempotent)."""

    def get_dataset(self, tenant: str, dataset_id: str) -> Dataset: ...

    def set_dataset_auto(
        self,
        tenant: str,
        dataset_id: str,
        per_media: int | None,
        spec: dict[str, Any] | None,
    ) -> Dataset:
        """Set (``per_media`` None: turn off) the dataset's automatic picks per medium added."""

    def list_datasets(self, tenant: str) -> list[Dataset]: ...

    def add_media(self, media: Media) -> None:
        """Record an upload (idempotent on its id)."""

    def get_media(self, tenant: str, media_id: str) -> Media: ...

    def list_media(
        self,
        tenant: str,
        dataset_id: str | None = None,
        limit: int | None = None,
        newest_first: bool = False,
    ) -> list[Media]:
        """The tenant's media oldest first (``newest_first``: the other way), or a dataset's in
        the order they were added to it; at most ``limit``."""

    def add_dataset_media(
        self,
        tenant: str,
        dataset_id: str,
        media_ids: list[str],
        max_media: int | None = None,
    ) -> list[str]:
        """Add the tenant's media to the dataset in one transaction; return the ids this call
        added (those already in it are kept once: idempotent, and of two simultaneous calls
        adding one medium exactly one returns it). NotFoundError for an unknown dataset or
        medium (nothing is added); InputError when the dataset would hold more than
        ``max_media``."""

    def mark_labeled(self, tenant: str, dataset_id: str, frames: list[tuple[str, int]]) -> int:
        """Record frames ``(media id, frame index)`` of the tenant's media as sent for labeling
        in the dataset (idempotent: one row per frame); frames of media that no longer exist are
        skipped. The number of frames newly marked."""

    def labeled_frames(self, tenant: str, dataset_id: str) -> list[tuple[str, int]]:
        """The dataset's labeled frames in the order they were marked."""

    # -- jobs -----------------------------------------------------------------------------
    def create_job(
        self,
        tenant: str,
        kind: str,
        spec: dict[str, Any],
        job_id: str,
        *,
        max_active: int | None = None,
        dataset_id: str | None = None,
        now_ms: int | None = None,
    ) -> Job:
        """Record a ``queued`` job, claiming a quota slot atomically.

        The limit is the tenant's own ``max_active_jobs`` when set, else ``max_active`` (None:
        unlimited). Raises :class:`farpoint.security.errors.QuotaExceededError` when the tenant
        already has that many active jobs. Idempotent on ``job_id`` (a retried request returns
        the job it created, claiming nothing more).
        """

    def add_failed_job(
        self,
        tenant: str,
        kind: str,
        spec: dict[str, Any],
        job_id: str,
        stage: str,
        reason: str,
        *,
        dataset_id: str | None = None,
    ) -> Job:
        """Record a job that ended ``failed`` before it could start (a trigger refused by the
        quota, say): listed like any job, claiming no quota slot. Idempotent on ``job_id``
        (an existing job is returned unchanged)."""

    def get_job(self, tenant: str, job_id: str) -> Job: ...

    def list_jobs(
        self, tenant: str, after: str | None = None, limit: int = 50, status: str | None = None
    ) -> tuple[list[Job], str | None]:
        """Jobs oldest first, ``limit`` at a time; ``after`` is the cursor returned last time."""

    def active_jobs(self, tenant: str) -> int: ...

    def progress(
        self,
        tenant: str,
        job_id: str,
        stage: str,
        done: int = 0,
        total: int | None = None,
        now_ms: int | None = None,
    ) -> bool:
        """Record a stage's progress (the job turns ``running``); False when the job has ended
        (or is unknown): the stage should stop working on it."""

    def stages(self, tenant: str, job_id: str) -> dict[str, StageProgress]: ...

    def finish(
        self,
        tenant: str,
        job_id: str,
        status: str,
        stage: str | None = None,
        reason: str | None = None,
        now_ms: int | None = None,
    ) -> bool:
        """End an active job (``succeeded``, ``failed`` or ``cancelled``), freeing its quota
        slot. True when this call ended it; False when it had ended already (the first end
        wins) or is unknown."""

    def delete_job(self, tenant: str, job_id: str) -> bool:
        """Forget a job and its stage progress (retention); an active job's quota slot is freed
        with it. True when there was one to delete."""

    def delete_media(self, tenant: str, media_id: str) -> bool:
        """Forget a medium (retention): it leaves every dataset, with its labeled frames. True
        when there was one to delete."""

    def stalled(self, older_than_ms: int, now_ms: int | None = None) -> list[Job]:
        """Active jobs of every tenant whose last progress is older than ``older_than_ms``."""

    # -- audit ----------------------------------------------------------------------------
    def audit(
        self,
        tenant: str,
        actor: str,
        action: str,
        target: str,
        detail: dict[str, Any] | None = None,
    ) -> None: ...

    def list_audit(self, tenant: str, limit: int = 100) -> list[AuditEntry]:
        """The newest ``limit`` entries, newest first."""

    # -- health ---------------------------------------------------------------------------
    def ping(self) -> None:
        """Raise :class:`farpoint.errors.TransientError` when the records cannot be reached."""

    def close(self) -> None: ...


def parse_cursor(cursor: str | None) -> tuple[int, str] | None:
    """``<created_ms>-<id>`` -> (created_ms, id); a malformed cursor is an InputError."""
    if cursor is None:
        return None
    from farpoint.errors import InputError

    ms, sep, job_id = cursor.partition("-")
    if not sep or not ms.isdigit() or not job_id:
        raise InputError(f"bad cursor {cursor!r}")
    return int(ms), job_id


def check_status(status: str) -> None:
    from farpoint.errors import InputError

    if status not in TERMINAL:
        raise InputError(f"a job ends succeeded, failed or cancelled, not {status!r}")
