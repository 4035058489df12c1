"""Retention: delete a tenant's jobs and media (objects and records), and the TTL cleanup.

Deletes are tenant-scoped (another tenant's ids are unknown: NotFoundError, 404) and idempotent
in effect: objects first, records last, so a crash mid-way leaves a job that is still listed and
can be deleted again. An active job is cancelled first (its quota slot is freed). The
content-addressed caches (:mod:`farpoint.jobs.cache`) are shared by jobs, so deleting one job
keeps them; :func:`cleanup` removes the entries no remaining job refers to.

``farpoint admin cleanup`` runs :func:`cleanup` with ``FARPOINT_JOBS__TTL_DAYS``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from farpoint.errors import NotFoundError
from farpoint.jobs.datasets import remove_media
from farpoint.jobs.keys import (
    JobKeys,
    MediaKeys,
    cache_prefix,
    check_id,
    job_index_prefix,
)
from farpoint.jobs.state import JobState, get_json, get_media_info, now_ms
from farpoint.records.base import Records
from farpoint.store.base import Store

log = logging.getLogger(__name__)


def _delete_prefix(store: Store, prefix: str) -> int:
    n = 0
    for key in list(store.list(prefix)):
        store.delete(key)
        n += 1
    return n


def delete_job(store: Store, records: Records | None, tenant: str, job_id: str) -> int:
    """Delete a job's objects (shards, vectors, results, markers) and record; the number of
    objects deleted. NotFoundError when the tenant has no such job."""
    keys = JobKeys(tenant, check_id(job_id, "job id"))
    state = JobState(store, tenant, records)
    try:
        created = int(state.load(job_id)["created_ms"])
    except NotFoundError:
        rec = state._record(job_id)
        if rec is None:
            raise
        created = rec.created_ms
    if records is not None:  # an active job ends first: its quota slot is free at once
        records.finish(tenant, job_id, "cancelled", None, "deleted")
    n = _delete_prefix(store, keys.root)
    if store.exists(keys.index(created)):
        store.delete(keys.index(created))
        n += 1
    if records is not None:
        records.delete_job(tenant, job_id)
    log.info("tenant %s: job %s deleted (%d objects)", tenant, job_id, n)
    return n


def delete_media(store: Store, records: Records | None, tenant: str, media_id: str) -> int:
    """Delete a medium's objects and record and forget it in the tenant's datasets (jobs made
    from it keep their results until they are deleted). NotFoundError when unknown."""
    get_media_info(store, tenant, check_id(media_id, "media id"))
    remove_media(store, tenant, media_id)
    n = _delete_prefix(store, MediaKeys(tenant, media_id).root)
    if records is not None:
        records.delete_media(tenant, media_id)
    log.info("tenant %s: media %s deleted (%d objects)", tenant, media_id, n)
    return n


@dataclass
class CleanupReport:
    jobs: list[str] = field(default_factory=list)
    cache_entries: int = 0
    objects: int = 0


def _tenants(store: Store) -> list[str]:
    found: set[str] = set()
    for key in store.list("tenants/"):
        parts = key.split("/")
        if len(parts) > 2:
            found.add(parts[1])
    return sorted(found)


def cleanup(
    store: Store, records: Records | None, ttl_s: float, now: int | None = None
) -> CleanupReport:
    """Delete every job created more than ``ttl_s`` ago that has ended (succeeded or failed;
    active jobs are left to the watchdog), then the cache entries no remaining job uses."""
    now = now if now is not None else now_ms()
    cutoff = now - int(ttl_s * 1000)
    report = CleanupReport()
    for tenant in _tenants(store):
        state = JobState(store, tenant, records)
        prefix = job_index_prefix(tenant)
        used: set[str] = set()
        for key in list(store.list(prefix)):
            created_s, _, job_id = key[len(prefix) :].partition("-")
            try:
                status = state.status(job_id)["status"]
            except NotFoundError:
                status = "failed"  # an index marker without its job: a leftover
            if int(created_s) < cutoff and status in ("succeeded", "failed"):
                try:
                    report.objects += delete_job(store, records, tenant, job_id)
                except NotFoundError:
                    store.delete(key)
                report.jobs.append(job_id)
                continue
            ck = JobKeys(tenant, job_id).cache
            if store.exists(ck):
                used.add(get_json(store, ck)["frames"])
        root = cache_prefix(tenant)
        entries: dict[str, str | None] = {}  # cache entry root -> the frames digest it needs
        for key in list(store.list(root)):
            rest = key[len(root) :].split("/")
            if len(rest) < 3:
                continue
            entry = f"{root}{rest[0]}/{rest[1]}/"
            if rest[0] == "frames":
                entries[entry] = rest[1]
            elif rest[0] == "vectors" and rest[2] == "embedder.json":
                entries[entry] = get_json(store, key)["frames"]
            else:
                entries.setdefault(entry, None)
        for entry, frames in entries.items():
            if frames is not None and frames in used:
                continue
            report.objects += _delete_prefix(store, entry)
            report.cache_entries += 1
    return report
