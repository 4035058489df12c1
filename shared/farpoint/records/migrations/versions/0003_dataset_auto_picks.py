"""A dataset may ask for N new picks per medium added to it: ``auto_picks_per_media`` and the
job settings of those picks (``auto_spec``, a SelectionSpec's fields).

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("datasets") as batch:
        batch.add_column(sa.Column("auto_picks_per_media", sa.Integer, nullable=True))
        batch.add_column(sa.Column("auto_spec", sa.JSON, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("datasets") as batch:
        batch.drop_column("auto_spec")
        batch.drop_column("auto_picks_per_media")
