"""Ledger: `upserts`, bumped under the invoice's lock before every proposal look-up-and-create.

A look-up made for a whole page of invoices before their locks were taken is trusted for an invoice
only while its `upserts` is unchanged: a change means another worker may have created the proposal
meanwhile (and died before recording it), so that invoice is looked up again.

Revision ID: 0004_ledger_upserts
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_ledger_upserts"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("mlc_ledger") as batch:
        batch.add_column(sa.Column("upserts", sa.Integer(), server_default="0", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("mlc_ledger") as batch:
        batch.drop_column("upserts")
