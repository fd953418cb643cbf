"""Token cache: sealed OAuth2 tokens shared by the processes of a credential set.

Revision ID: 0007_token_cache
Revises: 0006_reports
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_token_cache"
down_revision = "0006_reports"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "mlc_token_cache",
        sa.Column("slot", sa.String(64), nullable=False),
        sa.Column("sealed", sa.LargeBinary(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("saved_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("slot", name="pk_mlc_token_cache"),
    )


def downgrade() -> None:
    op.drop_table("mlc_token_cache")
