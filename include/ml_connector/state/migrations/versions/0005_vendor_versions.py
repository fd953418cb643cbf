"""Vendor versions: per vendor and system, the content the last sync left there (what we wrote or saw),
so a read that matches it is no change (no echo) and a change on both sides is a conflict.

Revision ID: 0005_vendor_versions
Revises: 0004_ledger_upserts
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0005_vendor_versions"
down_revision = "0004_ledger_upserts"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "mlc_vendor_versions",
        sa.Column("tenant_id", sa.String(64), nullable=False),
        sa.Column("vendor_code", sa.String(100), nullable=False),
        sa.Column("system", sa.String(20), nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("content", JSON),
        sa.Column("run_id", sa.String(250)),
        sa.Column("synced_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "vendor_code", "system", name="pk_mlc_vendor_versions"),
    )


def downgrade() -> None:
    op.drop_table("mlc_vendor_versions")
