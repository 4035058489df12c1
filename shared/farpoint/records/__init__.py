"""Records: tenants, API keys, media, datasets, jobs, stage progress, quotas and audit.

PostgreSQL in production (SQLAlchemy 2, Alembic migrations), an in-memory twin for unit tests;
one interface (:class:`farpoint.records.base.Records`), one contract suite for both.
"""

from __future__ import annotations

from farpoint.records.base import (
    ACTIVE,
    TERMINAL,
    ApiKey,
    AuditEntry,
    Dataset,
    Job,
    Media,
    Records,
    StageProgress,
    Tenant,
)
from farpoint.records.factory import open_records

__all__ = [
    "ACTIVE",
    "TERMINAL",
    "ApiKey",
    "AuditEntry",
    "Dataset",
    "Job",
    "Media",
    "Records",
    "StageProgress",
    "Tenant",
    "open_records",
]
