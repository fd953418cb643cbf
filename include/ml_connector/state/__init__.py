"""The state store: invoice ledger, quarantine, watermarks, audit trail, webhook inbox and runs.

Plain SQLAlchemy, no Airflow: the Airflow hook only builds the URL and calls `StateStore(url)`.
"""

from __future__ import annotations

from ml_connector.state.engine import mask_url
from ml_connector.state.models import (
    FINAL,
    NOT_FINAL,
    RESUMABLE,
    AuditAction,
    SourceSystem,
    Status,
)
from ml_connector.state.records import (
    AuditEntry,
    ControlTotal,
    Delivery,
    ExtractedInvoice,
    ExtractResult,
    LedgerEntry,
    QuarantineEntry,
    Report,
    RunRecord,
    document_fingerprint,
)
from ml_connector.state.store import SchemaNotReady, StateStore, UnitOfWork

__all__ = [
    "FINAL", "NOT_FINAL", "RESUMABLE", "AuditAction", "AuditEntry", "ControlTotal", "Delivery",
    "ExtractResult", "ExtractedInvoice", "LedgerEntry", "QuarantineEntry", "Report", "RunRecord", "SchemaNotReady",
    "SourceSystem", "StateStore", "Status", "UnitOfWork", "document_fingerprint", "mask_url",
]
