"""Initial state tables: ledger, quarantine, watermarks, audit trail, webhook inbox, runs.

Plain column types here, not the models' TypeDecorators, so this revision keeps meaning what it
meant when it was written.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)
# Scaled integer on SQLite (see types.Amount), exact NUMERIC elsewhere.
AMOUNT = sa.Numeric(19, 4).with_variant(sa.BigInteger(), "sqlite")
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def _tenant() -> sa.Column[str]:
    return sa.Column("tenant_id", sa.String(64), nullable=False)


def _run_id() -> sa.Column[str]:
    return sa.Column("run_id", sa.String(250))


def upgrade() -> None:
    _create_ledger()
    _create_quarantine()
    _create_watermarks()
    _create_audit()
    _create_webhook_inbox()
    _create_runs()


def _create_ledger() -> None:
    op.create_table(
        "mlc_ledger",
        _tenant(),
        sa.Column("invoice_id", sa.String(100), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("company_code", sa.String(50)),
        sa.Column("ifs_company", sa.String(20)),
        sa.Column("ifs_invoice_key", sa.String(100)),
        sa.Column("external_code", sa.String(200)),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("basware_last_updated", TS),
        sa.Column("currency", sa.String(3)),
        sa.Column("net_amount", AMOUNT),
        sa.Column("tax_amount", AMOUNT),
        sa.Column("gross_amount", AMOUNT),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("last_error", sa.Text()),
        _run_id(),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "invoice_id", name="pk_mlc_ledger"),
    )
    op.create_index("ix_mlc_ledger_tenant_id_status", "mlc_ledger", ["tenant_id", "status"])
    op.create_index("ix_mlc_ledger_tenant_id_run_id", "mlc_ledger", ["tenant_id", "run_id"])
    op.create_index(
        "ix_mlc_ledger_tenant_id_basware_last_updated", "mlc_ledger", ["tenant_id", "basware_last_updated"]
    )


def _create_quarantine() -> None:
    op.create_table(
        "mlc_quarantine",
        _tenant(),
        sa.Column("record_type", sa.String(32), nullable=False),
        sa.Column("record_id", sa.String(200), nullable=False),
        sa.Column("reason_code", sa.String(64), nullable=False),
        sa.Column("reason", sa.Text()),
        sa.Column("payload", JSON),
        _run_id(),
        sa.Column("first_seen", TS, nullable=False),
        sa.Column("last_seen", TS, nullable=False),
        sa.Column("occurrences", sa.Integer(), server_default="1", nullable=False),
        sa.Column("resolved_at", TS),
        sa.Column("replay_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("last_replayed_at", TS),
        sa.PrimaryKeyConstraint("tenant_id", "record_type", "record_id", name="pk_mlc_quarantine"),
    )
    op.create_index("ix_mlc_quarantine_tenant_id_resolved_at", "mlc_quarantine", ["tenant_id", "resolved_at"])


def _create_watermarks() -> None:
    op.create_table(
        "mlc_watermarks",
        _tenant(),
        sa.Column("stream", sa.String(64), nullable=False),
        sa.Column("value", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        _run_id(),
        sa.PrimaryKeyConstraint("tenant_id", "stream", name="pk_mlc_watermarks"),
    )


def _create_audit() -> None:
    op.create_table(
        "mlc_audit",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        _tenant(),
        sa.Column("entity", sa.String(50), nullable=False),
        sa.Column("entity_key", sa.String(200), nullable=False),
        sa.Column("action", sa.String(20), nullable=False),
        sa.Column("source_system", sa.String(20), nullable=False),
        sa.Column("changes", JSON),
        _run_id(),
        sa.Column("at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_mlc_audit"),
    )
    op.create_index(
        "ix_mlc_audit_tenant_id_entity_entity_key_at", "mlc_audit", ["tenant_id", "entity", "entity_key", "at"]
    )


def _create_webhook_inbox() -> None:
    op.create_table(
        "mlc_webhook_inbox",
        _tenant(),
        sa.Column("delivery_id", sa.String(200), nullable=False),
        sa.Column("document_id", sa.String(100)),
        sa.Column("payload", JSON),
        sa.Column("received_at", TS, nullable=False),
        sa.Column("processed_at", TS),
        sa.PrimaryKeyConstraint("tenant_id", "delivery_id", name="pk_mlc_webhook_inbox"),
    )
    op.create_index(
        "ix_mlc_webhook_inbox_tenant_id_processed_at", "mlc_webhook_inbox", ["tenant_id", "processed_at"]
    )


def _create_runs() -> None:
    op.create_table(
        "mlc_runs",
        _tenant(),
        sa.Column("run_id", sa.String(250), nullable=False),
        sa.Column("dag_id", sa.String(250)),
        sa.Column("info", JSON),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("started_at", TS, nullable=False),
        sa.Column("finished_at", TS),
        sa.Column("counts", JSON),
        sa.Column("control_totals", JSON),
        sa.PrimaryKeyConstraint("tenant_id", "run_id", name="pk_mlc_runs"),
    )


def downgrade() -> None:
    for table in ("mlc_runs", "mlc_webhook_inbox", "mlc_audit", "mlc_watermarks", "mlc_quarantine", "mlc_ledger"):
        op.drop_table(table)  # their indexes go with them
