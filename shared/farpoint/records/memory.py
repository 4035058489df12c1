"""In-memory records: dicts under one lock. The simple implementation the SQL one is checked
against (``tests/contracts/records_contract.py``); nothing survives the process."""

from __future__ import annotations

import copy
import threading
from dataclasses import replace
from typing import Any

from farpoint.errors import InputError, NotFoundError
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


class MemoryRecords:
    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._tenants: dict[str, Tenant] = {}
        self._keys: dict[str, ApiKey] = {}
        self._datasets: dict[str, Dataset] = {}
        self._media: dict[str, Media] = {}
        self._members: dict[str, list[str]] = {}  # dataset id -> media ids, in order added
        self._labeled: dict[str, list[tuple[str, int]]] = {}  # dataset id -> frames, in order
        self._jobs: dict[str, Job] = {}
        self._stages: dict[str, dict[str, StageProgress]] = {}
        self._audit: list[AuditEntry] = []

    # -- tenants ----------------------------------------------------------------------------
    def ensure_tenant(self, tenant: str, max_active_jobs: int | None = None) -> Tenant:
        with self._lock:
            if tenant not in self._tenants:
                self._tenants[tenant] = Tenant(tenant, max_active_jobs, _now())
            return self._tenants[tenant]

    def set_quota(self, tenant: str, max_active_jobs: int | None) -> None:
        with self._lock:
            self._tenants[tenant] = replace(
                self.ensure_tenant(tenant), max_active_jobs=max_active_jobs
            )

    def get_tenant(self, tenant: str) -> Tenant:
        with self._lock:
            if tenant not in self._tenants:
                raise NotFoundError(f"unknown tenant {tenant!r}")
            return self._tenants[tenant]

    # -- keys -------------------------------------------------------------------------------
    def add_key(self, tenant: str, key_hash: str, role: str, name: str = "") -> ApiKey:
        with self._lock:
            self.ensure_tenant(tenant)
            if key_hash in self._keys:
                return self._keys[key_hash]
            key = ApiKey(key_hash, tenant, role, name, _now())
            self._keys[key_hash] = key
            return key

    def find_key(self, key_hash: str) -> ApiKey | None:
        with self._lock:
            key = self._keys.get(key_hash)
            return key if key is not None and key.revoked_ms is None else None

    def revoke_key(self, tenant: str, key_hash: str) -> None:
        with self._lock:
            key = self._keys.get(key_hash)
            if key is None or key.tenant != tenant:
                raise NotFoundError("unknown key")
            if key.revoked_ms is None:
                self._keys[key_hash] = replace(key, revoked_ms=_now())

    # -- datasets and media -----------------------------------------------------------------
    def create_dataset(self, tenant: str, name: str, dataset_id: str | None = None) -> Dataset:
        import uuid

        with self._lock:
            self.ensure_tenant(tenant)
            for ds in self._datasets.values():
                if ds.tenant == tenant and ds.name == name:
                    return ds
            ds = Dataset(dataset_id or uuid.uuid4().hex, tenant, name, _now())
            self._datasets[ds.id] = ds
            return ds

    def get_dataset(self, tenant: str, dataset_id: str) -> Dataset:
        with self._lock:
            ds = self._datasets.get(dataset_id)
            if ds is None or ds.tenant != tenant:
                raise NotFoundError(f"unknown dataset {dataset_id!r}")
            return ds

    def set_dataset_auto(
        self,
        tenant: str,
        dataset_id: str,
        per_media: int | None,
        spec: dict[str, Any] | None,
    ) -> Dataset:
        with self._lock:
            ds = replace(
                self.get_dataset(tenant, dataset_id),
                auto_picks_per_media=per_media,
                auto_spec=copy.deepcopy(spec) if per_media is not None else None,
            )
            self._datasets[dataset_id] = ds
            return ds

    def list_datasets(self, tenant: str) -> list[Dataset]:
        with self._lock:
            out = [d for d in self._datasets.values() if d.tenant == tenant]
        return sorted(out, key=lambda d: (d.created_ms, d.id))

    def add_media(self, media: Media) -> None:
        with self._lock:
            self.ensure_tenant(media.tenant)
            self._media.setdefault(media.id, media)

    def get_media(self, tenant: str, media_id: str) -> Media:
        with self._lock:
            m = self._media.get(media_id)
            if m is None or m.tenant != tenant:
                raise NotFoundError(f"unknown media {media_id!r}")
            return m

    def list_media(
        self,
        tenant: str,
        dataset_id: str | None = None,
        limit: int | None = None,
        newest_first: bool = False,
    ) -> list[Media]:
        with self._lock:
            if dataset_id is not None:
                if dataset_id not in self._datasets or self._datasets[dataset_id].tenant != tenant:
                    return []
                out = [self._media[m] for m in self._members.get(dataset_id, [])]
                if newest_first:
                    out.reverse()
            else:
                out = sorted(
                    (m for m in self._media.values() if m.tenant == tenant),
                    key=lambda m: (m.created_ms, m.id),
                    reverse=newest_first,
                )
        return out if limit is None else out[:limit]

    def add_dataset_media(
        self,
        tenant: str,
        dataset_id: str,
        media_ids: list[str],
        max_media: int | None = None,
    ) -> list[str]:
        with self._lock:
            self.get_dataset(tenant, dataset_id)
            for mid in media_ids:
                self.get_media(tenant, mid)
            have = self._members.setdefault(dataset_id, [])
            new = [m for m in dict.fromkeys(media_ids) if m not in have]
            if max_media is not None and len(have) + len(new) > max_media:
                raise InputError(f"a dataset holds at most {max_media} media")
            have.extend(new)
            return new

    def mark_labeled(self, tenant: str, dataset_id: str, frames: list[tuple[str, int]]) -> int:
        with self._lock:
            self.get_dataset(tenant, dataset_id)
            have = self._labeled.setdefault(dataset_id, [])
            seen = set(have)
            added = 0
            for mid, index in frames:
                frame = (str(mid), int(index))
                m = self._media.get(frame[0])
                if frame in seen or m is None or m.tenant != tenant:
                    continue
                have.append(frame)
                seen.add(frame)
                added += 1
            return added

    def labeled_frames(self, tenant: str, dataset_id: str) -> list[tuple[str, int]]:
        with self._lock:
            self.get_dataset(tenant, dataset_id)
            return list(self._labeled.get(dataset_id, []))

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
        with self._lock:
            t = self.ensure_tenant(tenant)
            old = self._jobs.get(job_id)
            if old is not None:
                if old.tenant != tenant:
                    raise NotFoundError(f"unknown job {job_id!r}")
                return old
            if dataset_id is not None:
                self.get_dataset(tenant, dataset_id)
            limit = t.max_active_jobs if t.max_active_jobs is not None else max_active
            active = self.active_jobs(tenant)
            if limit is not None and active >= limit:
                raise QuotaExceededError(
                    f"tenant {tenant!r} already runs {active} jobs (its limit is {limit}); "
                    "wait for one to finish or cancel one"
                )
            now = now_ms if now_ms is not None else _now()
            job = Job(
                id=job_id,
                tenant=tenant,
                kind=kind,
                status="queued",
                created_ms=now,
                updated_ms=now,
                spec=copy.deepcopy(spec),
                dataset_id=dataset_id,
            )
            self._jobs[job_id] = job
            return job

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
        with self._lock:
            self.ensure_tenant(tenant)
            old = self._jobs.get(job_id)
            if old is not None:
                if old.tenant != tenant:
                    raise NotFoundError(f"unknown job {job_id!r}")
                return old
            if dataset_id is not None:
                self.get_dataset(tenant, dataset_id)
            now = _now()
            job = Job(
                id=job_id,
                tenant=tenant,
                kind=kind,
                status="failed",
                created_ms=now,
                updated_ms=now,
                spec=copy.deepcopy(spec),
                dataset_id=dataset_id,
                stage=stage,
                reason=reason,
                finished_ms=now,
            )
            self._jobs[job_id] = job
            return job

    def get_job(self, tenant: str, job_id: str) -> Job:
        with self._lock:
            job = self._jobs.get(job_id)
            if job is None or job.tenant != tenant:
                raise NotFoundError(f"unknown job {job_id!r}")
            return job

    def list_jobs(
        self, tenant: str, after: str | None = None, limit: int = 50, status: str | None = None
    ) -> tuple[list[Job], str | None]:
        start = parse_cursor(after)
        with self._lock:
            jobs = sorted(
                (
                    j
                    for j in self._jobs.values()
                    if j.tenant == tenant and (status is None or j.status == status)
                ),
                key=lambda j: (j.created_ms, j.id),
            )
        if start is not None:
            jobs = [j for j in jobs if (j.created_ms, j.id) > start]
        page = jobs[:limit]
        return page, (page[-1].cursor if len(jobs) > limit else None)

    def active_jobs(self, tenant: str) -> int:
        with self._lock:
            return sum(1 for j in self._jobs.values() if j.tenant == tenant and j.active)

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
        with self._lock:
            job = self._jobs.get(job_id)
            if job is None or job.tenant != tenant or not job.active:
                return False
            self._jobs[job_id] = replace(job, status="running", updated_ms=now)
            self._stages.setdefault(job_id, {})[stage] = StageProgress(stage, done, total, now)
            return True

    def stages(self, tenant: str, job_id: str) -> dict[str, StageProgress]:
        with self._lock:
            self.get_job(tenant, job_id)
            return dict(self._stages.get(job_id, {}))

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
        with self._lock:
            job = self._jobs.get(job_id)
            if job is None or job.tenant != tenant or not job.active:
                return False
            self._jobs[job_id] = replace(
                job, status=status, stage=stage, reason=reason, updated_ms=now, finished_ms=now
            )
            return True

    def delete_job(self, tenant: str, job_id: str) -> bool:
        with self._lock:
            job = self._jobs.get(job_id)
            if job is None or job.tenant != tenant:
                return False
            del self._jobs[job_id]
            self._stages.pop(job_id, None)
            return True

    def delete_media(self, tenant: str, media_id: str) -> bool:
        with self._lock:
            m = self._media.get(media_id)
            if m is None or m.tenant != tenant:
                return False
            del self._media[media_id]
            for members in self._members.values():
                if media_id in members:
                    members.remove(media_id)
            for ds, frames in self._labeled.items():
                self._labeled[ds] = [f for f in frames if f[0] != media_id]
            return True

    def stalled(self, older_than_ms: int, now_ms: int | None = None) -> list[Job]:
        now = now_ms if now_ms is not None else _now()
        with self._lock:
            out = [
                j
                for j in self._jobs.values()
                if j.status in ACTIVE and j.updated_ms < now - older_than_ms
            ]
        return sorted(out, key=lambda j: (j.updated_ms, j.id))

    # -- audit ------------------------------------------------------------------------------
    def audit(
        self,
        tenant: str,
        actor: str,
        action: str,
        target: str,
        detail: dict[str, Any] | None = None,
    ) -> None:
        with self._lock:
            self._audit.append(
                AuditEntry(tenant, _now(), actor, action, target, copy.deepcopy(detail or {}))
            )

    def list_audit(self, tenant: str, limit: int = 100) -> list[AuditEntry]:
        with self._lock:
            mine = [a for a in self._audit if a.tenant == tenant]
        return list(reversed(mine))[:limit]

    def ping(self) -> None:
        return None

    def close(self) -> None:
        return None
