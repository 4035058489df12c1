"""Media and datasets live in the records only: a medium's extension and source URI (what the
object store's ``media/<id>/meta.json`` held), dataset membership as a join table (a medium may
belong to several datasets) and a dataset's labeled frames, one row each.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def _id() -> sa.Column:
    return sa.Column(
        "id",
        sa.BigInteger().with_variant(sa.Integer, "sqlite"),
        primary_key=True,
        autoincrement=True,
    )


def _ref(name: str, target: str) -> sa.Column:
    return sa.Column(
        name, sa.String(64), sa.ForeignKey(f"{target}.id", ondelete="CASCADE"), nullable=False
    )


def upgrade() -> None:
    with op.batch_alter_table("media") as batch:
        batch.drop_column("dataset_id")  # membership is dataset_media's
        batch.add_column(sa.Column("ext", sa.String(16), nullable=False, server_default=""))
        batch.add_column(sa.Column("uri", sa.Text, nullable=True))
    op.create_table(
        "dataset_media",
        _id(),
        _ref("dataset_id", "datasets"),
        _ref("media_id", "media"),
        sa.Column("added_ms", sa.BigInteger, nullable=False),
        sa.UniqueConstraint("dataset_id", "media_id", name="uq_dataset_media"),
    )
    op.create_index("ix_dataset_media_media", "dataset_media", ["media_id"])
    op.create_table(
        "labeled_frames",
        _id(),
        _ref("dataset_id", "datasets"),
        _ref("media_id", "media"),
        sa.Column("frame_index", sa.Integer, nullable=False),
        sa.Column("labeled_ms", sa.BigInteger, nullable=False),
        sa.UniqueConstraint("dataset_id", "media_id", "frame_index", name="uq_labeled_frames"),
    )
    op.create_index("ix_labeled_frames_media", "labeled_frames", ["media_id"])


def downgrade() -> None:
    op.drop_table("labeled_frames")
    op.drop_table("dataset_media")
    with op.batch_alter_table("media") as batch:
        batch.drop_column("uri")
        batch.drop_column("ext")
        batch.add_column(
            sa.Column("dataset_id", sa.String(64), sa.ForeignKey("datasets.id"), nullable=True)
        )
