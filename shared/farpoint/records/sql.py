"""Records in a SQL database through SQLAlchemy: PostgreSQL in production, SQLite for one process.

The quota is claimed in one transaction that first locks the tenant's row (``SELECT ... FOR
UPDATE`` on PostgreSQL; SQLite transactions are taken ``BEGIN IMMEDIATE``, one writer at a
time), counts its active jobs through an index and inserts the job: two simultaneous requests
cannot both take the last slot. Ending a job is one conditional ``UPDATE ... WHERE status IN
('queued', 'running')``: the first end wins, and the slot is free once it commits.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import Engine, create_engine, delete, event, func, select, text, tuple_, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError, IntegrityError, InterfaceError, OperationalError

from farpoint.errors import InputError, NotFoundError, TransientError
from farpoint.records import schema as t
from farpoint.records.base import (
    ACTIVE,
    ApiKey,
    AuditEntry,
    Dataset,
    Job,
    Media,
    StageProgress,
    Tenant,
    check_status,
    parse_cursor,
)
from farpoint.records.base import now_ms as _now  # public keyword args are named now_ms
from farpoint.security.errors import QuotaExceededError


def make_engine(url: str, pool_size: int = 5, connect_timeout_s: float = 5.0) -> Engine:
    """An engine for ``url``; SQLite gets serialized write transactions (``BEGIN IMMEDIATE``)."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _connect(dbapi_conn: Any, _record: Any) -> None:
            dbapi_conn.isolation_level = None  # let SQLAlchemy's begin below issue BEGIN
            dbapi_conn.execute("PRAGMA foreign_keys=ON")

        @event.listens_for(engine, "begin")
        def _begin(conn: Connection) -> None:
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    connect_args: dict[str, Any] = {}
    if url.startswith("postgresql"):
        connect_args["connect_timeout"] = max(1, int(connect_timeout_s))
    return create_engine(
        url,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=True,
        pool_timeout=connect_timeout_s,
        connect_args=connect_args,
    )


def _insert(conn: Connection, table: Any) -> Any:
    """An INSERT that ignores a primary/unique-key conflict (PostgreSQL or SQLite)."""
    from sqlalchemy.dialects import postgresql, sqlite

    if conn.dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


F = TypeVar("F", bound=Callable[..., Any])


def _unreachable(exc: DBAPIError) -> TransientError:
    first = (str(exc.orig or exc).splitlines() or ["unreachable"])[0]
    return TransientError(f"records database unreachable: {first}")


def _transient(fn: F) -> F:
    """Connection failures (a restarting server, a network cut) are TransientError: the worker
    retries and redelivers instead of failing the job; other database errors pass unchanged."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except (OperationalError, InterfaceError) as exc:
            raise _unreachable(exc) from exc
        except DBAPIError as exc:
            if exc.connection_invalidated:
                raise _unreachable(exc) from exc
            raise

    return wrapper  # type: ignore[return-value]


def _job(row: Any) -> Job:
    return Job(
        id=row.id,
        tenant=row.tenant_id,
        kind=row.kind,
        status=row.status,
        created_ms=row.created_ms,
        updated_ms=row.updated_ms,
        spec=dict(row.spec or {}),
        dataset_id=row.dataset_id,
        stage=row.stage,
        reason=row.reason,
        finished_ms=row.finished_ms,
    )


def _dataset(row: Any) -> Dataset:
    spec = row.auto_spec
    return Dataset(
        row.id,
        row.tenant_id,
        row.name,
        row.created_ms,
        row.auto_picks_per_media,
        dict(spec) if spec is not None else None,
    )


def _media(row: Any) -> Media:
    return Media(
        id=row.id,
        tenant=row.tenant_id,
        filename=row.filename,
        kind=row.kind,
        size=row.size,
        content_type=row.content_type,
        created_ms=row.created_ms,
        ext=row.ext,
        uri=row.uri,
        sha256=row.sha256,
    )


class SqlRecords:
    """:class:`farpoint.records.base.Records` on an SQLAlchemy engine (schema from migrations:
    :func:`farpoint.records.migrate.upgrade` before first use)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @classmethod
    def from_url(cls, url: str, migrate: bool = True, **kw: Any) -> SqlRecords:
        engine = make_engine(url, **kw)
        if migrate:
            from farpoint.records.migrate import upgrade

            upgrade(engine)
        return cls(engine)

    def _owned(self, table: Any, tenant: str, row_id: str, what: str) -> Any:
        """The row ``row_id`` of ``table`` if ``tenant`` owns it; another tenant's row is as
        unknown as a missing one (:class:`NotFoundError`, 404 at the gateway)."""
        with self.engine.connect() as conn:
            row = conn.execute(
                select(table).where(table.c.id == row_id, table.c.tenant_id == tenant)
            ).first()
        if row is None:
            raise NotFoundError(f"unknown {what} {row_id!r}")
        return row

    # -- tenants ----------------------------------------------------------------------------
    def _ensure_tenant(self, conn: Connection, tenant: str, quota: int | None = None) -> None:
        conn.execute(
            _insert(conn, t.tenants)
            .values(id=tenant, max_active_jobs=quota, created_ms=_now())
            .on_conflict_do_nothing(index_elements=["id"])
        )

    def ensure_tenant(self, tenant: str, max_active_jobs: int | None = None) -> Tenant:
        with self.engine.begin() as conn:
            self._ensure_tenant(conn, tenant, max_active_jobs)
        return self.get_tenant(tenant)

    def set_quota(self, tenant: str, max_active_jobs: int | None) -> None:
        with self.engine.begin() as conn:
            self._ensure_tenant(conn, tenant)
            conn.execute(
                update(t.tenants)
                .where(t.tenants.c.id == tenant)
                .values(max_active_jobs=max_active_jobs)
            )

    def get_tenant(self, tenant: str) -> Tenant:
        with self.engine.connect() as conn:
            row = conn.execute(select(t.tenants).where(t.tenants.c.id == tenant)).first()
        if row is None:
            raise NotFoundError(f"unknown tenant {tenant!r}")
        return Tenant(row.id, row.max_active_jobs, row.created_ms)

    # -- keys -------------------------------------------------------------------------------
    def add_key(self, tenant: str, key_hash: str, role: str, name: str = "") -> ApiKey:
        with self.engine.begin() as conn:
            self._ensure_tenant(conn, tenant)
            conn.execute(
                _insert(conn, t.api_keys)
                .values(
                    key_hash=key_hash, tenant_id=tenant, role=role, name=name, created_ms=_now()
                )
                .on_conflict_do_nothing(index_elements=["key_hash"])
            )
            row = conn.execute(select(t.api_keys).where(t.api_keys.c.key_hash == key_hash)).one()
        return ApiKey(
            row.key_hash, row.tenant_id, row.role, row.name, row.created_ms, row.revoked_ms
        )

    def find_key(self, key_hash: str) -> ApiKey | None:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(t.api_keys).where(
                    t.api_keys.c.key_hash == key_hash, t.api_keys.c.revoked_ms.is_(None)
                )
            ).first()
        if row is None:
            return None
        return ApiKey(row.key_hash, row.tenant_id, row.role, row.name, row.created_ms, None)

    def revoke_key(self, tenant: str, key_hash: str) -> None:
        with self.engine.begin() as conn:
            row = conn.execute(
                select(t.api_keys.c.revoked_ms).where(
                    t.api_keys.c.key_hash == key_hash, t.api_keys.c.tenant_id == tenant
                )
            ).first()
            if row is None:
                raise NotFoundError("unknown key")
            conn.execute(
                update(t.api_keys)
                .where(t.api_keys.c.key_hash == key_hash, t.api_keys.c.revoked_ms.is_(None))
                .values(revoked_ms=_now())
            )

    # -- datasets and media -----------------------------------------------------------------
    def create_dataset(self, tenant: str, name: str, dataset_id: str | None = None) -> Dataset:
        with self.engine.begin() as conn:
            self._ensure_tenant(conn, tenant)
            conn.execute(
                _insert(conn, t.datasets)
                .values(
                    id=dataset_id or uuid.uuid4().hex,
                    tenant_id=tenant,
                    name=name,
                    created_ms=_now(),
                )
                .on_conflict_do_nothing(index_elements=["tenant_id", "name"])
            )
            row = conn.execute(
                select(t.datasets).where(
                    t.datasets.c.tenant_id == tenant, t.datasets.c.name == name
                )
            ).one()
        return _dataset(row)

    def get_dataset(self, tenant: str, dataset_id: str) -> Dataset:
        return _dataset(self._owned(t.datasets, tenant, dataset_id, "dataset"))

    def set_dataset_auto(
        self,
        tenant: str,
        dataset_id: str,
        per_media: int | None,
        spec: dict[str, Any] | None,
    ) -> Dataset:
        with self.engine.begin() as conn:
            res = conn.execute(
                update(t.datasets)
                .where(t.datasets.c.id == dataset_id, t.datasets.c.tenant_id == tenant)
                .values(
                    auto_picks_per_media=per_media,
                    auto_spec=spec if per_media is not None else None,
                )
            )
            if res.rowcount != 1:
                raise NotFoundError(f"unknown dataset {dataset_id!r}")
        return self.get_dataset(tenant, dataset_id)

    def list_datasets(self, tenant: str) -> list[Dataset]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(t.datasets)
                .where(t.datasets.c.tenant_id == tenant)
                .order_by(t.datasets.c.created_ms, t.datasets.c.id)
            ).all()
        return [_dataset(r) for r in rows]

    def add_media(self, media: Media) -> None:
        with self.engine.begin() as conn:
            self._ensure_tenant(conn, media.tenant)
            conn.execute(
                _insert(conn, t.media)
                .values(
                    id=media.id,
                    tenant_id=media.tenant,
                    filename=media.filename,
                    kind=media.kind,
                    size=media.size,
                    content_type=media.content_type,
                    sha256=media.sha256,
                    created_ms=media.created_ms,
                    ext=media.ext,
                    uri=media.uri,
                )
                .on_conflict_do_nothing(index_elements=["id"])
            )

    def get_media(self, tenant: str, media_id: str) -> Media:
        return _media(self._owned(t.media, tenant, media_id, "media"))

    def list_media(
        self,
        tenant: str,
        dataset_id: str | None = None,
        limit: int | None = None,
        newest_first: bool = False,
    ) -> list[Media]:
        if dataset_id is not None:
            dm = t.dataset_media
            q = (
                select(t.media)
                .join(dm, dm.c.media_id == t.media.c.id)
                .join(t.datasets, t.datasets.c.id == dm.c.dataset_id)
                .where(dm.c.dataset_id == dataset_id, t.datasets.c.tenant_id == tenant)
                .order_by(dm.c.id.desc() if newest_first else dm.c.id)
            )
        else:
            order = (t.media.c.created_ms, t.media.c.id)
            q = (
                select(t.media)
                .where(t.media.c.tenant_id == tenant)
                .order_by(*(c.desc() for c in order) if newest_first else order)
            )
        if limit is not None:
            q = q.limit(limit)
        with self.engine.connect() as conn:
            rows = conn.execute(q).all()
        return [_media(r) for r in rows]

    def _owned_in(self, conn: Connection, tenant: str, dataset_id: str) -> None:
        """The dataset, locked for this transaction (its membership changes one at a time)."""
        row = conn.execute(
            select(t.datasets.c.id)
            .where(t.datasets.c.id == dataset_id, t.datasets.c.tenant_id == tenant)
            .with_for_update()
        ).first()
        if row is None:
            raise NotFoundError(f"unknown dataset {dataset_id!r}")

    def add_dataset_media(
        self,
        tenant: str,
        dataset_id: str,
        media_ids: list[str],
        max_media: int | None = None,
    ) -> list[str]:
        wanted = list(dict.fromkeys(media_ids))
        dm = t.dataset_media
        with self.engine.begin() as conn:
            self._owned_in(conn, tenant, dataset_id)
            known = set(
                conn.execute(
                    select(t.media.c.id).where(
                        t.media.c.tenant_id == tenant, t.media.c.id.in_(wanted)
                    )
                ).scalars()
            )
            for mid in wanted:
                if mid not in known:
                    raise NotFoundError(f"unknown media {mid!r}")
            have = set(
                conn.execute(
                    select(dm.c.media_id).where(
                        dm.c.dataset_id == dataset_id, dm.c.media_id.in_(wanted)
                    )
                ).scalars()
            )
            new = [m for m in wanted if m not in have]
            if max_media is not None and new:
                count = conn.execute(
                    select(func.count()).select_from(dm).where(dm.c.dataset_id == dataset_id)
                ).scalar_one()
                if count + len(new) > max_media:
                    raise InputError(f"a dataset holds at most {max_media} media")
            added = []
            now = _now()
            for mid in new:
                # RETURNING, not rowcount: PostgreSQL's driver reports -1 for an INSERT that
                # returns the new serial id
                row = conn.execute(
                    _insert(conn, dm)
                    .values(dataset_id=dataset_id, media_id=mid, added_ms=now)
                    .on_conflict_do_nothing(index_elements=["dataset_id", "media_id"])
                    .returning(dm.c.id)
                ).first()
                if row is not None:
                    added.append(mid)
        return added

    def mark_labeled(self, tenant: str, dataset_id: str, frames: list[tuple[str, int]]) -> int:
        wanted = list(dict.fromkeys((str(m), int(i)) for m, i in frames))
        lf = t.labeled_frames
        added = 0
        with self.engine.begin() as conn:
            self._owned_in(conn, tenant, dataset_id)
            known = set(
                conn.execute(
                    select(t.media.c.id).where(
                        t.media.c.tenant_id == tenant,
                        t.media.c.id.in_({m for m, _ in wanted}),
                    )
                ).scalars()
            )
            now = _now()
            for mid, index in wanted:
                if mid not in known:
                    continue
                row = conn.execute(
                    _insert(conn, lf)
                    .values(dataset_id=dataset_id, media_id=mid, frame_index=index, labeled_ms=now)
                    .on_conflict_do_nothing(
                        index_elements=["dataset_id", "media_id", "frame_index"]
                    )
                    .returning(lf.c.id)
                ).first()
                added += row is not None
        return added

    def labeled_frames(self, tenant: str, dataset_id: str) -> list[tuple[str, int]]:
        self.get_dataset(tenant, dataset_id)
        lf = t.labeled_frames
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(lf.c.media_id, lf.c.frame_index)
                .where(lf.c.dataset_id == dataset_id)
                .order_by(lf.c.id)
            ).all()
        return [(r.media_id, int(r.frame_index)) for r in rows]

    # -- jobs -------------------------------------------------------------------------------
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
        if dataset_id is not None:
            self.get_dataset(tenant, dataset_id)
        now = now_ms if now_ms is not None else _now()
        try:
            with self.engine.begin() as conn:
                self._ensure_tenant(conn, tenant)
                # The tenant's row lock serializes every quota claim of this tenant.
                quota = conn.execute(
                    select(t.tenants.c.max_active_jobs)
                    .where(t.tenants.c.id == tenant)
                    .with_for_update()
                ).scalar_one()
                old = conn.execute(select(t.jobs).where(t.jobs.c.id == job_id)).first()
                if old is not None:
                    if old.tenant_id != tenant:
                        raise NotFoundError(f"unknown job {job_id!r}")
                    return _job(old)
                limit = quota if quota is not None else max_active
                active = conn.execute(
                    select(func.count())
                    .select_from(t.jobs)
                    .where(t.jobs.c.tenant_id == tenant, t.jobs.c.status.in_(ACTIVE))
                ).scalar_one()
                if limit is not None and active >= limit:
                    raise QuotaExceededError(
                        f"tenant {tenant!r} already runs {active} jobs (its limit is {limit}); "
                        "wait for one to finish or cancel one"
                    )
                conn.execute(
                    t.jobs.insert().values(
                        id=job_id,
                        tenant_id=tenant,
                        dataset_id=dataset_id,
                        kind=kind,
                        spec=spec,
                        status="queued",
                        created_ms=now,
                        updated_ms=now,
                    )
                )
        except IntegrityError:
            # Another request created the same job id between our check and insert.
            return self.get_job(tenant, job_id)
        return self.get_job(tenant, job_id)

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
        if dataset_id is not None:
            self.get_dataset(tenant, dataset_id)
        now = _now()
        with self.engine.begin() as conn:
            self._ensure_tenant(conn, tenant)
            conn.execute(
                _insert(conn, t.jobs)
                .values(
                    id=job_id,
                    tenant_id=tenant,
                    dataset_id=dataset_id,
                    kind=kind,
                    spec=spec,
                    status="failed",
                    stage=stage,
                    reason=reason,
                    created_ms=now,
                    updated_ms=now,
                    finished_ms=now,
                )
                .on_conflict_do_nothing(index_elements=["id"])
            )
        return self.get_job(tenant, job_id)

    def get_job(self, tenant: str, job_id: str) -> Job:
        return _job(self._owned(t.jobs, tenant, job_id, "job"))

    def list_jobs(
        self, tenant: str, after: str | None = None, limit: int = 50, status: str | None = None
    ) -> tuple[list[Job], str | None]:
        start = parse_cursor(after)
        q = select(t.jobs).where(t.jobs.c.tenant_id == tenant)
        if status is not None:
            q = q.where(t.jobs.c.status == status)
        if start is not None:
            q = q.where(tuple_(t.jobs.c.created_ms, t.jobs.c.id) > tuple_(*start))
        q = q.order_by(t.jobs.c.created_ms, t.jobs.c.id).limit(limit + 1)
        with self.engine.connect() as conn:
            rows = conn.execute(q).all()
        page = [_job(r) for r in rows[:limit]]
        return page, (page[-1].cursor if len(rows) > limit else None)

    def active_jobs(self, tenant: str) -> int:
        with self.engine.connect() as conn:
            return int(
                conn.execute(
                    select(func.count())
                    .select_from(t.jobs)
                    .where(t.jobs.c.tenant_id == tenant, t.jobs.c.status.in_(ACTIVE))
                ).scalar_one()
            )

    def progress(
        self,
        tenant: str,
        job_id: str,
        stage: str,
        done: int = 0,
        total: int | None = None,
        now_ms: int | None = None,
    ) -> bool:
        now = now_ms if now_ms is not None else _now()
        with self.engine.begin() as conn:
            res = conn.execute(
                update(t.jobs)
                .where(
                    t.jobs.c.id == job_id,
                    t.jobs.c.tenant_id == tenant,
                    t.jobs.c.status.in_(ACTIVE),
                )
                .values(status="running", updated_ms=now)
            )
            if res.rowcount != 1:
                return False
            ins = _insert(conn, t.stage_progress).values(
                job_id=job_id, stage=stage, done=done, total=total, updated_ms=now
            )
            conn.execute(
                ins.on_conflict_do_update(
                    index_elements=["job_id", "stage"],
                    set_={"done": done, "total": total, "updated_ms": now},
                )
            )
        return True

    def stages(self, tenant: str, job_id: str) -> dict[str, StageProgress]:
        self.get_job(tenant, job_id)
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(t.stage_progress).where(t.stage_progress.c.job_id == job_id)
            ).all()
        return {r.stage: StageProgress(r.stage, r.done, r.total, r.updated_ms) for r in rows}

    def finish(
        self,
        tenant: str,
        job_id: str,
        status: str,
        stage: str | None = None,
        reason: str | None = None,
        now_ms: int | None = None,
    ) -> bool:
        check_status(status)
        now = now_ms if now_ms is not None else _now()
        with self.engine.begin() as conn:
            res = conn.execute(
                update(t.jobs)
                .where(
                    t.jobs.c.id == job_id,
                    t.jobs.c.tenant_id == tenant,
                    t.jobs.c.status.in_(ACTIVE),
                )
                .values(status=status, stage=stage, reason=reason, updated_ms=now, finished_ms=now)
            )
            return bool(res.rowcount == 1)

    def delete_job(self, tenant: str, job_id: str) -> bool:
        with self.engine.begin() as conn:
            found = conn.execute(
                select(t.jobs.c.id).where(t.jobs.c.id == job_id, t.jobs.c.tenant_id == tenant)
            ).first()
            if found is None:
                return False
            conn.execute(delete(t.stage_progress).where(t.stage_progress.c.job_id == job_id))
            conn.execute(delete(t.jobs).where(t.jobs.c.id == job_id, t.jobs.c.tenant_id == tenant))
            return True

    def delete_media(self, tenant: str, media_id: str) -> bool:
        with self.engine.begin() as conn:
            owned = conn.execute(
                select(t.media.c.id).where(t.media.c.id == media_id, t.media.c.tenant_id == tenant)
            ).first()
            if owned is None:
                return False
            for table in (t.labeled_frames, t.dataset_media):  # (ON DELETE CASCADE, explicitly)
                conn.execute(delete(table).where(table.c.media_id == media_id))
            res = conn.execute(
                delete(t.media).where(t.media.c.id == media_id, t.media.c.tenant_id == tenant)
            )
            return bool(res.rowcount == 1)

    def stalled(self, older_than_ms: int, now_ms: int | None = None) -> list[Job]:
        now = now_ms if now_ms is not None else _now()
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(t.jobs)
                .where(t.jobs.c.status.in_(ACTIVE), t.jobs.c.updated_ms < now - older_than_ms)
                .order_by(t.jobs.c.updated_ms, t.jobs.c.id)
            ).all()
        return [_job(r) for r in rows]

    # -- audit ------------------------------------------------------------------------------
    def audit(
        self,
        tenant: str,
        actor: str,
        action: str,
        target: str,
        detail: dict[str, Any] | None = None,
    ) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                t.audit.insert().values(
                    tenant_id=tenant,
                    at_ms=_now(),
                    actor=actor,
                    action=action,
                    target=target,
                    detail=detail or {},
                )
            )

    def list_audit(self, tenant: str, limit: int = 100) -> list[AuditEntry]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(t.audit)
                .where(t.audit.c.tenant_id == tenant)
                .order_by(t.audit.c.id.desc())
                .limit(limit)
            ).all()
        return [
            AuditEntry(r.tenant_id, r.at_ms, r.actor, r.action, r.target, dict(r.detail or {}))
            for r in rows
        ]

    # -- health -----------------------------------------------------------------------------
    def ping(self) -> None:
        try:
            with self.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        except DBAPIError as exc:
            raise _unreachable(exc) from exc

    def close(self) -> None:
        self.engine.dispose()


for _name in (
    "ensure_tenant", "set_quota", "get_tenant", "add_key", "find_key", "revoke_key",
    "create_dataset", "get_dataset", "list_datasets", "add_media", "get_media", "list_media",
    "add_dataset_media", "mark_labeled", "labeled_frames", "delete_job", "delete_media",
    "set_dataset_auto", "add_failed_job",
    "create_job", "get_job", "list_jobs", "active_jobs", "progress", "stages", "finish",
    "stalled", "audit", "list_audit",
):  # fmt: skip
    setattr(SqlRecords, _name, _transient(getattr(SqlRecords, _name)))
