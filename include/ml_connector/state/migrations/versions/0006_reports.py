"""Reports: the latest value of each observation per tenant (token, connection check, mapping gaps).

Revision ID: 0006_reports
Revises: 0005_vendor_versions
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0006_reports"
down_revision = "0005_vendor_versions"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "mlc_reports",
        sa.Column("tenant_id", sa.String(64), nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("payload", JSON),
        sa.Column("run_id", sa.String(250)),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "name", name="pk_mlc_reports"),
    )


def downgrade() -> None:
    op.drop_table("mlc_reports")
