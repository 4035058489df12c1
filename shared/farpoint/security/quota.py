"""Per-tenant concurrent-job quota: how many of a tenant's jobs are still active.

A job is active until it has a terminal marker in the store (``failed.json``, ``cancel.json``,
``stages/export.json`` or ``stages/train.json``; see :mod:`farpoint.jobs.keys`). Jobs created
more than ``horizon_s`` ago are not counted, so a job stuck by a lost message cannot lock its
tenant out for ever. :func:`enforce_job_quota` is what the gateway calls before creating a job.
"""

from __future__ import annotations

import time

from farpoint.jobs.keys import JobKeys, job_index_prefix
from farpoint.security.limits import check_job_quota
from farpoint.settings import SecuritySettings
from farpoint.store.base import Store

DEFAULT_HORIZON_S = 24 * 3600.0
_FINAL_STAGES = ("export", "train")


def _is_terminal(store: Store, keys: JobKeys) -> bool:
    if store.exists(keys.failed) or store.exists(keys.cancel):
        return True
    return any(store.exists(keys.stage_done(s)) for s in _FINAL_STAGES)


def count_active_jobs(
    store: Store, tenant: str, *, horizon_s: float = DEFAULT_HORIZON_S, stop_at: int | None = None
) -> int:
    """Tenant jobs created within ``horizon_s`` with no terminal marker (<= ``stop_at``)."""
    prefix = job_index_prefix(tenant)
    oldest_ms = int((time.time() - horizon_s) * 1000)
    active = 0
    for key in store.list(prefix):
        name = key[len(prefix) :]
        created, _, job_id = name.partition("-")
        if not job_id or not created.isdigit() or int(created) < oldest_ms:
            continue
        if not _is_terminal(store, JobKeys(tenant, job_id)):
            active += 1
            if stop_at is not None and active >= stop_at:
                break
    return active


def enforce_job_quota(
    store: Store, tenant: str, limits: SecuritySettings, *, horizon_s: float = DEFAULT_HORIZON_S
) -> int:
    """QuotaExceededError (429) when ``tenant`` runs its quota of jobs; else the active count."""
    active = count_active_jobs(
        store, tenant, horizon_s=horizon_s, stop_at=limits.max_concurrent_jobs
    )
    check_job_quota(tenant, active, limits)
    return active
