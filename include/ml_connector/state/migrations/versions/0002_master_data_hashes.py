"""Master-data content hashes: what was last sent to Basware per record, so runs send only the delta.

Revision ID: 0002_master_data_hashes
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_master_data_hashes"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "mlc_master_data_hashes",
        sa.Column("tenant_id", sa.String(64), nullable=False),
        sa.Column("target", sa.String(40), nullable=False),
        sa.Column("external_code", sa.String(100), nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("run_id", sa.String(250)),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "target", "external_code", name="pk_mlc_master_data_hashes"),
    )


def downgrade() -> None:
    op.drop_table("mlc_master_data_hashes")
