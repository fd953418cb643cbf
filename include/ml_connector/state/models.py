"""Tables of the state store and the invoice status order.

Every table is prefixed `mlc_` and every row carries tenant_id (but the token cache's: see there): the
store may share a PostgreSQL database (and its `alembic_version`) with Airflow's metadata, and tenants
share the tables.
"""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    Column,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
)

from ml_connector.state.types import Amount, CleanText, JSONType, UTCDateTime

VERSION_TABLE = "mlc_alembic_version"


class Status(StrEnum):
    EXTRACTED = "extracted"
    MAPPED = "mapped"
    PROPOSAL_CREATED = "proposal_created"
    ACKNOWLEDGED = "acknowledged"
    REPORTED = "reported"
    QUARANTINED = "quarantined"
    TRANSFER_FAILED_REPORTED = "transfer_failed_reported"  # quarantined and told to Basware


# The happy path in order; quarantine is a side exit from any non-final step of it.
MAIN_PATH: tuple[Status, ...] = (
    Status.EXTRACTED, Status.MAPPED, Status.PROPOSAL_CREATED, Status.ACKNOWLEDGED, Status.REPORTED,
)
ALLOWED_FROM: dict[Status, frozenset[Status]] = {
    Status.EXTRACTED: frozenset(),  # only by insertion or by reopen()
    **{s: frozenset(MAIN_PATH[:i]) for i, s in enumerate(MAIN_PATH) if i},
    Status.QUARANTINED: frozenset(MAIN_PATH[:-1]),
    Status.TRANSFER_FAILED_REPORTED: frozenset({Status.QUARANTINED}),
}
# Final for the watermark (design step 5); quarantined rows still owe Basware a failure report.
FINAL: frozenset[Status] = frozenset({Status.REPORTED, Status.QUARANTINED, Status.TRANSFER_FAILED_REPORTED})
NOT_FINAL: tuple[Status, ...] = tuple(s for s in Status if s not in FINAL)
# Known to IFS or acknowledged in Basware but not reported: only the ledger remembers them.
RESUMABLE: tuple[Status, ...] = (Status.PROPOSAL_CREATED, Status.ACKNOWLEDGED)
# A re-extracted document with a new fingerprint restarts from `extracted` only from these.
REOPENABLE: frozenset[Status] = frozenset(
    {Status.EXTRACTED, Status.MAPPED, Status.QUARANTINED, Status.TRANSFER_FAILED_REPORTED}
)


class AuditAction(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    SKIPPED = "skipped"
    CONFLICT = "conflict"


class SourceSystem(StrEnum):
    BASWARE = "basware"
    IFS = "ifs"
    CONNECTOR = "ml-connector"


metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "pk": "pk_%(table_name)s",
    }
)


def _tenant() -> Column[str]:
    return Column("tenant_id", String(64), nullable=False)


def _run_id() -> Column[str]:
    return Column("run_id", String(250))  # Airflow run ids can be long


ledger = Table(
    "mlc_ledger", metadata,
    _tenant(),
    Column("invoice_id", String(100), nullable=False),  # Basware invoiceId
    Column("invoice_number", String(100)),  # the supplier's number: what AP clerks search by
    Column("status", String(32), nullable=False),
    Column("company_code", String(50)),  # Basware side, known before mapping
    Column("ifs_company", String(20)),
    Column("ifs_invoice_key", String(100)),
    Column("external_code", String(200)),
    Column("fingerprint", String(64), nullable=False),
    Column("basware_last_updated", UTCDateTime()),
    Column("currency", String(3)),
    Column("net_amount", Amount()),
    Column("tax_amount", Amount()),
    Column("gross_amount", Amount()),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("last_error", CleanText),
    # Bumped before each proposal look-up-and-create (migration 0002_ledger_upserts says why).
    Column("upserts", Integer, nullable=False, server_default="0"),
    _run_id(),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    PrimaryKeyConstraint("tenant_id", "invoice_id"),
    Index(None, "tenant_id", "status"),
    Index(None, "tenant_id", "run_id"),
    Index(None, "tenant_id", "basware_last_updated"),
    Index(None, "tenant_id", "invoice_number"),
)

# Every step of one invoice, in order: what `trace` tells. Written in the transaction of the ledger
# change it describes, so the story and the ledger never disagree.
invoice_events = Table(
    "mlc_invoice_events", metadata,
    Column("id", BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True),
    _tenant(),
    Column("invoice_id", String(100), nullable=False),
    Column("event", String(32), nullable=False),  # a Status, or error / replayed / re-extracted
    Column("detail", JSONType),  # IFS keys, external code, error text: never a document body
    _run_id(),
    Column("at", UTCDateTime(), nullable=False),
    Index(None, "tenant_id", "invoice_id", "id"),
)

quarantine = Table(
    "mlc_quarantine", metadata,
    _tenant(),
    Column("record_type", String(32), nullable=False),  # invoice, vendor, ...
    Column("record_id", String(200), nullable=False),
    Column("reason_code", String(64), nullable=False),
    Column("reason", CleanText),
    Column("payload", JSONType),  # the original record, for replay
    _run_id(),
    Column("first_seen", UTCDateTime(), nullable=False),
    Column("last_seen", UTCDateTime(), nullable=False),
    Column("occurrences", Integer, nullable=False, server_default="1"),
    Column("resolved_at", UTCDateTime()),
    Column("replay_count", Integer, nullable=False, server_default="0"),
    Column("last_replayed_at", UTCDateTime()),
    PrimaryKeyConstraint("tenant_id", "record_type", "record_id"),
    Index(None, "tenant_id", "resolved_at"),
)

watermarks = Table(
    "mlc_watermarks", metadata,
    _tenant(),
    Column("stream", String(64), nullable=False),
    Column("value", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    _run_id(),
    PrimaryKeyConstraint("tenant_id", "stream"),
)

audit = Table(
    "mlc_audit", metadata,
    # BIGINT on PostgreSQL; SQLite only autoincrements a column declared exactly INTEGER.
    Column("id", BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True),
    _tenant(),
    Column("entity", String(50), nullable=False),  # vendor, gl_account, cost_center, ...
    Column("entity_key", String(200), nullable=False),
    Column("action", String(20), nullable=False),
    Column("source_system", String(20), nullable=False),  # which system made the last change
    Column("changes", JSONType),  # {field: {"before": ..., "after": ...}}
    _run_id(),
    Column("at", UTCDateTime(), nullable=False),
    Index(None, "tenant_id", "entity", "entity_key", "at"),
)

webhook_inbox = Table(
    "mlc_webhook_inbox", metadata,
    _tenant(),
    Column("delivery_id", String(200), nullable=False),  # stable key from the sender: the dedupe key
    Column("document_id", String(100)),
    Column("payload", JSONType),
    Column("received_at", UTCDateTime(), nullable=False),
    Column("processed_at", UTCDateTime()),
    PrimaryKeyConstraint("tenant_id", "delivery_id"),
    Index(None, "tenant_id", "processed_at"),
)

runs = Table(
    "mlc_runs", metadata,
    _tenant(),
    Column("run_id", String(250), nullable=False),
    Column("dag_id", String(250)),
    Column("info", JSONType),  # logical date, data interval, run type...
    Column("state", String(20), nullable=False),
    Column("started_at", UTCDateTime(), nullable=False),
    Column("finished_at", UTCDateTime()),
    Column("counts", JSONType),
    Column("control_totals", JSONType),
    PrimaryKeyConstraint("tenant_id", "run_id"),
)

# What was last sent to Basware per master-data record: a run sends only records whose hash moved.
master_data_hashes = Table(
    "mlc_master_data_hashes", metadata,
    _tenant(),
    Column("target", String(40), nullable=False),  # accounts, costCenters or a list key
    Column("external_code", String(100), nullable=False),
    Column("content_hash", String(64), nullable=False),
    _run_id(),
    Column("sent_at", UTCDateTime(), nullable=False),
    PrimaryKeyConstraint("tenant_id", "target", "external_code"),
)


vendor_versions = Table(
    "mlc_vendor_versions", metadata,
    _tenant(),
    Column("vendor_code", String(100), nullable=False),  # Basware vendorCode = IFS supplier number
    Column("system", String(20), nullable=False),  # "ifs" or "basware"
    Column("content_hash", String(64), nullable=False),
    Column("content", JSONType),  # the synced fields, to show what changed since
    _run_id(),
    Column("synced_at", UTCDateTime(), nullable=False),
    PrimaryKeyConstraint("tenant_id", "vendor_code", "system"),
)


# The latest value of each observation per tenant, for the operations page: the last token obtained and
# the last connection check per system, the last mapping-gaps report. Overwritten, not appended.
reports = Table(
    "mlc_reports", metadata,
    _tenant(),
    Column("name", String(64), nullable=False),  # e.g. token:basware, check:ifs, gaps
    Column("payload", JSONType),  # aggregate figures, record ids and messages: never a secret or a body
    _run_id(),
    Column("at", UTCDateTime(), nullable=False),
    PrimaryKeyConstraint("tenant_id", "name"),
)


# OAuth2 tokens shared by the processes of one credential set (http/token_seal.py). A row is keyed by a
# slot derived from the client secret, not by tenant: two tenants with one credential set share a token,
# a rotated secret lands on a new row, and the row tells nobody which tenant or client it belongs to.
# `sealed` is AES-GCM ciphertext; `expires_at` is in clear so that expired rows can be purged unopened.
token_cache = Table(
    "mlc_token_cache", metadata,
    Column("slot", String(64), nullable=False),
    Column("sealed", LargeBinary(), nullable=False),
    Column("expires_at", UTCDateTime(), nullable=False),
    Column("saved_at", UTCDateTime(), nullable=False),
    PrimaryKeyConstraint("slot"),
)
