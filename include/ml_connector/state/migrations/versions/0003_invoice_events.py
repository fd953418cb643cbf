"""The invoice's story for `trace`: an event per ledger step, and the invoice number on the ledger.

Revision ID: 0003
Revises: 0002_master_data_hashes
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0003"
down_revision = "0002_master_data_hashes"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("mlc_ledger") as batch:  # batch: SQLite cannot ALTER much in place
        batch.add_column(sa.Column("invoice_number", sa.String(100)))
        batch.create_index("ix_mlc_ledger_tenant_id_invoice_number", ["tenant_id", "invoice_number"])
    op.create_table(
        "mlc_invoice_events",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("tenant_id", sa.String(64), nullable=False),
        sa.Column("invoice_id", sa.String(100), nullable=False),
        sa.Column("event", sa.String(32), nullable=False),
        sa.Column("detail", JSON),
        sa.Column("run_id", sa.String(250)),
        sa.Column("at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_mlc_invoice_events"),
    )
    op.create_index("ix_mlc_invoice_events_tenant_id_invoice_id_id", "mlc_invoice_events",
                    ["tenant_id", "invoice_id", "id"])


def downgrade() -> None:
    op.drop_table("mlc_invoice_events")
    with op.batch_alter_table("mlc_ledger") as batch:
        batch.drop_index("ix_mlc_ledger_tenant_id_invoice_number")
        batch.drop_column("invoice_number")
