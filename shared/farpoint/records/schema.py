"""The records tables (SQLAlchemy Core). Alembic migrations (``migrations/versions``) create
them; ``tests/integration/test_records_sql.py`` checks the migrated database matches this."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()

tenants = Table(
    "tenants",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("max_active_jobs", Integer, nullable=True),
    Column("created_ms", BigInteger, nullable=False),
)

api_keys = Table(
    "api_keys",
    metadata,
    Column("key_hash", String(128), primary_key=True),
    Column("tenant_id", String(64), ForeignKey("tenants.id"), nullable=False, index=True),
    Column("role", String(32), nullable=False),
    Column("name", String(200), nullable=False, default=""),
    Column("created_ms", BigInteger, nullable=False),
    Column("revoked_ms", BigInteger, nullable=True),
)

datasets = Table(
    "datasets",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("tenant_id", String(64), ForeignKey("tenants.id"), nullable=False),
    Column("name", String(200), nullable=False),
    Column("created_ms", BigInteger, nullable=False),
    # N new picks per medium added (None: off), with these job settings (a SelectionSpec's)
    Column("auto_picks_per_media", Integer, nullable=True),
    Column("auto_spec", JSON, nullable=True),
    UniqueConstraint("tenant_id", "name", name="uq_datasets_tenant_name"),
)

media = Table(
    "media",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("tenant_id", String(64), ForeignKey("tenants.id"), nullable=False),
    Column("filename", String(500), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("content_type", String(200), nullable=False),
    Column("sha256", String(64), nullable=True),
    Column("created_ms", BigInteger, nullable=False),
    Column("ext", String(16), nullable=False, server_default=""),
    Column("uri", Text, nullable=True),
    Index("ix_media_tenant_created", "tenant_id", "created_ms", "id"),
)

# A medium may belong to several datasets of its tenant; ``id`` keeps the order media were added.
dataset_media = Table(
    "dataset_media",
    metadata,
    Column(
        "id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    ),
    Column(
        "dataset_id",
        String(64),
        ForeignKey("datasets.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("media_id", String(64), ForeignKey("media.id", ondelete="CASCADE"), nullable=False),
    Column("added_ms", BigInteger, nullable=False),
    UniqueConstraint("dataset_id", "media_id", name="uq_dataset_media"),
    Index("ix_dataset_media_media", "media_id"),
)

# The frames of a dataset sent for labeling: one row per (dataset, medium, frame), so marking
# is idempotent; ``id`` keeps the order they were marked.
labeled_frames = Table(
    "labeled_frames",
    metadata,
    Column(
        "id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    ),
    Column(
        "dataset_id",
        String(64),
        ForeignKey("datasets.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("media_id", String(64), ForeignKey("media.id", ondelete="CASCADE"), nullable=False),
    Column("frame_index", Integer, nullable=False),
    Column("labeled_ms", BigInteger, nullable=False),
    UniqueConstraint("dataset_id", "media_id", "frame_index", name="uq_labeled_frames"),
    Index("ix_labeled_frames_media", "media_id"),
)

jobs = Table(
    "jobs",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("tenant_id", String(64), ForeignKey("tenants.id"), nullable=False),
    Column("dataset_id", String(64), ForeignKey("datasets.id"), nullable=True),
    Column("kind", String(32), nullable=False),
    Column("spec", JSON, nullable=False),
    Column("status", String(16), nullable=False),
    Column("stage", String(32), nullable=True),
    Column("reason", Text, nullable=True),
    Column("created_ms", BigInteger, nullable=False),
    Column("updated_ms", BigInteger, nullable=False),
    Column("finished_ms", BigInteger, nullable=True),
    Index("ix_jobs_tenant_created", "tenant_id", "created_ms", "id"),
    Index("ix_jobs_tenant_status", "tenant_id", "status"),
    Index("ix_jobs_status_updated", "status", "updated_ms"),
)

stage_progress = Table(
    "stage_progress",
    metadata,
    Column("job_id", String(64), ForeignKey("jobs.id", ondelete="CASCADE"), primary_key=True),
    Column("stage", String(32), primary_key=True),
    Column("done", Integer, nullable=False),
    Column("total", Integer, nullable=True),
    Column("updated_ms", BigInteger, nullable=False),
)

audit = Table(
    "audit",
    metadata,
    Column(
        "id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    ),
    Column("tenant_id", String(64), nullable=False),
    Column("at_ms", BigInteger, nullable=False),
    Column("actor", String(200), nullable=False),
    Column("action", String(100), nullable=False),
    Column("target", String(500), nullable=False),
    Column("detail", JSON, nullable=False),
    Index("ix_audit_tenant_at", "tenant_id", "at_ms"),
)
