"""What the store takes and returns: small frozen dataclasses, detached from any connection."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import datetime
from decimal import Decimal
from typing import Any, Self

from ml_connector.state.models import Status
from ml_connector.state.types import json_dumps


def document_fingerprint(doc: Mapping[str, Any]) -> str:
    """sha256 of the canonical JSON (sorted keys, no spaces): the same document, the same hash."""
    return hashlib.sha256(json_dumps(_sorted(doc)).encode()).hexdigest()


def _sorted(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _sorted(value[k]) for k in sorted(value)}
    if isinstance(value, (list, tuple)):
        return [_sorted(v) for v in value]
    return value


class _FromRow:
    @classmethod
    def from_row(cls, row: Any) -> Self:
        data = row._mapping
        return cls(**{f.name: data[f.name] for f in fields(cls)})  # type: ignore[arg-type]


@dataclass(frozen=True)
class ExtractedInvoice:
    invoice_id: str
    fingerprint: str
    last_updated: datetime | None = None
    company_code: str | None = None
    currency: str | None = None
    net_amount: Decimal | None = None
    tax_amount: Decimal | None = None
    gross_amount: Decimal | None = None
    invoice_number: str | None = None


@dataclass
class ExtractResult:
    inserted: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)  # same fingerprint: nothing to do
    reopened: list[str] = field(default_factory=list)  # new fingerprint, restarted at `extracted`
    # New fingerprint after a proposal exists: left alone, for the caller to decide.
    changed_after_proposal: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class LedgerEntry(_FromRow):
    tenant_id: str
    invoice_id: str
    invoice_number: str | None
    status: Status
    company_code: str | None
    ifs_company: str | None
    ifs_invoice_key: str | None
    external_code: str | None
    fingerprint: str
    basware_last_updated: datetime | None
    currency: str | None
    net_amount: Decimal | None
    tax_amount: Decimal | None
    gross_amount: Decimal | None
    attempts: int
    last_error: str | None
    run_id: str | None
    created_at: datetime
    updated_at: datetime
    upserts: int = 0

    def __post_init__(self) -> None:
        object.__setattr__(self, "status", Status(self.status))


@dataclass(frozen=True)
class ControlTotal:
    company: str | None  # IFS company; None before mapping
    currency: str | None
    count: int
    net: Decimal
    tax: Decimal
    gross: Decimal


@dataclass(frozen=True)
class QuarantineEntry(_FromRow):
    tenant_id: str
    record_type: str
    record_id: str
    reason_code: str
    reason: str | None
    payload: Any
    run_id: str | None
    first_seen: datetime
    last_seen: datetime
    occurrences: int
    resolved_at: datetime | None
    replay_count: int
    last_replayed_at: datetime | None


@dataclass(frozen=True)
class AuditEntry(_FromRow):
    id: int
    tenant_id: str
    entity: str
    entity_key: str
    action: str
    source_system: str
    changes: Any
    run_id: str | None
    at: datetime


@dataclass(frozen=True)
class InvoiceEvent(_FromRow):
    id: int
    tenant_id: str
    invoice_id: str
    event: str
    detail: Any
    run_id: str | None
    at: datetime


@dataclass(frozen=True)
class Delivery(_FromRow):
    tenant_id: str
    delivery_id: str
    document_id: str | None
    payload: Any
    received_at: datetime
    processed_at: datetime | None


@dataclass(frozen=True)
class RunRecord(_FromRow):
    tenant_id: str
    run_id: str
    dag_id: str | None
    info: Any
    state: str
    started_at: datetime
    finished_at: datetime | None
    counts: Any
    control_totals: Any


@dataclass(frozen=True)
class Report(_FromRow):
    tenant_id: str
    name: str
    payload: Any
    run_id: str | None
    at: datetime
