"""Retention: delete a tenant's jobs and media (objects and records), and the TTL cleanup.

Deletes are tenant-scoped (another tenant's ids are unknown: NotFoundError, 404) and idempotent
in effect: objects first, records last, so a crash mid-way leaves a job that is still listed and
can be deleted again. An active job is cancelled first (its quota slot is freed). The
content-addressed caches (:mod:`farpoint.jobs.cache`) are shared by jobs, so deleting one job
keeps them; :func:`cleanup` removes the entries no remaining job refers to.

``farpoint admin cleanup [--dry-run]`` runs :func:`cleanup` with ``FARPOINT_JOBS__TTL_DAYS`` and
``FARPOINT_JOBS__MEDIA_TTL_DAYS``; the Helm chart runs it on a schedule (a CronJob,
``retention.*`` values; docs/deploy.md).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from farpoint.errors import InputError, NotFoundError
from farpoint.jobs.datasets import remove_media
from farpoint.jobs.keys import (
    JobKeys,
    MediaKeys,
    cache_prefix,
    check_id,
    job_index_prefix,
)
from farpoint.jobs.state import JobState, get_json, get_media_info, list_media_info, now_ms
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
    get_media_info(store, tenant, check_id(media_id, "media id"), records)
    remove_media(store, tenant, media_id, records)
    n = _delete_prefix(store, MediaKeys(tenant, media_id).root)
    if records is not None:
        records.delete_media(tenant, media_id)
    log.info("tenant %s: media %s deleted (%d objects)", tenant, media_id, n)
    return n


@dataclass
class CleanupReport:
    """What a sweep deleted (or, with ``dry_run``, would delete): job and media ids, cache
    entries and the number of objects."""

    jobs: list[str] = field(default_factory=list)
    media: list[str] = field(default_factory=list)
    cache_entries: int = 0
    objects: int = 0
    dry_run: bool = False

    def as_dict(self) -> dict[str, object]:
        return {
            "dry_run": self.dry_run,
            "jobs": self.jobs,
            "media": self.media,
            "cache_entries": self.cache_entries,
            "objects": self.objects,
        }


def _tenants(store: Store) -> list[str]:
    found: set[str] = set()
    for key in store.list("tenants/"):
        parts = key.split("/")
        if len(parts) > 2:
            found.add(parts[1])
    return sorted(found)


def _count_prefix(store: Store, prefix: str) -> int:
    return sum(1 for _ in store.list(prefix))


def _media_created(store: Store, tenant: str, records: Records | None) -> dict[str, int]:
    """The tenant's media ids -> their upload time (ms), wherever their records live."""
    return {m.id: m.created_ms for m in list_media_info(store, tenant, records=records)}


def cleanup(
    store: Store,
    records: Records | None,
    ttl_s: float | None,
    now: int | None = None,
    *,
    media_ttl_s: float | None = None,
    dry_run: bool = False,
) -> CleanupReport:
    """The TTL sweep, for every tenant: delete every job created more than ``ttl_s`` ago that
    has ended (succeeded, failed or cancelled; active jobs are left to the watchdog), every
    medium uploaded more than ``media_ttl_s`` ago that no active job reads, then the cache
    entries no remaining job uses. A TTL of None keeps that kind. Idempotent: a second sweep
    finds nothing more to delete. ``dry_run`` deletes nothing and reports what would go."""
    if ttl_s is None and media_ttl_s is None:
        raise InputError("no TTL: give a job TTL, a media TTL or both")
    now = now if now is not None else now_ms()
    report = CleanupReport(dry_run=dry_run)
    for tenant in _tenants(store):
        state = JobState(store, tenant, records)
        prefix = job_index_prefix(tenant)
        used: set[str] = set()
        read_by_active: set[str] = set()
        for key in list(store.list(prefix)):
            created_s, _, job_id = key[len(prefix) :].partition("-")
            try:
                status = state.status(job_id)["status"]
            except NotFoundError:
                status = "failed"  # an index marker without its job: a leftover
            ended = status in ("succeeded", "failed", "cancelled")
            if ttl_s is not None and ended and int(created_s) < now - int(ttl_s * 1000):
                report.jobs.append(job_id)
                if dry_run:
                    report.objects += _count_prefix(store, JobKeys(tenant, job_id).root) + 1
                    continue
                try:
                    report.objects += delete_job(store, records, tenant, job_id)
                except NotFoundError:
                    store.delete(key)
                continue
            keys = JobKeys(tenant, job_id)
            if not ended and store.exists(keys.job):
                read_by_active.update(get_json(store, keys.job)["spec"].get("media_ids") or [])
            if store.exists(keys.cache):
                used.add(get_json(store, keys.cache)["frames"])
        if media_ttl_s is not None:
            cutoff = now - int(media_ttl_s * 1000)
            for media_id, created in sorted(_media_created(store, tenant, records).items()):
                if created >= cutoff or media_id in read_by_active:
                    continue
                report.media.append(media_id)
                if dry_run:
                    report.objects += _count_prefix(store, MediaKeys(tenant, media_id).root)
                    continue
                try:
                    report.objects += delete_media(store, records, tenant, media_id)
                except NotFoundError:
                    pass  # deleted meanwhile
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
            report.cache_entries += 1
            if dry_run:
                report.objects += _count_prefix(store, entry)
            else:
                report.objects += _delete_prefix(store, entry)
    return report
