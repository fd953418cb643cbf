"""`trace`: the whole story of one invoice, from the state store alone (no API call, no secret).

Answers the question AP teams ask most, "why did invoice X not arrive?": when it was extracted, how
it was mapped, its IFS proposal key, what was reported to Basware, each error, quarantine and replay,
and what to do next.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from ml_connector.state import StateStore
from ml_connector.state.models import Status
from ml_connector.state.records import LedgerEntry, QuarantineEntry
from ml_connector.sync.errors import RECORD_TYPE

# What the operator does next, by where the invoice stands.
NEXT_STEP: dict[Status, str] = {
    Status.EXTRACTED: "waiting for the next run to map it; nothing to do",
    Status.MAPPED: "mapped; the next run creates its IFS proposal",
    Status.PROPOSAL_CREATED: "proposal in IFS; the next run acknowledges it in Basware",
    Status.ACKNOWLEDGED: "acknowledged; the next run reports the transfer to Basware",
    Status.REPORTED: "done: the posting proposal is in IFS; post it there",
    Status.QUARANTINED: "fix the reason above (mapping, master data or the invoice in Basware), "
                        "then `ml-connector replay --tenant {tenant} --invoice {invoice}`",
    Status.TRANSFER_FAILED_REPORTED: "Basware shows it TransferFailed: fix the reason above, let the AP team "
                                     "re-send it, then `ml-connector replay --tenant {tenant} --invoice {invoice}`",
}


@dataclass(frozen=True)
class TraceStep:
    at: str
    event: str
    run_id: str | None
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class InvoiceTrace:
    tenant: str
    invoice_id: str
    invoice_number: str | None
    status: str
    company_code: str | None
    ifs_company: str | None
    ifs_invoice_key: str | None
    external_code: str | None
    amounts: dict[str, str | None]
    attempts: int
    last_error: str | None
    quarantine: dict[str, Any] | None
    steps: list[TraceStep]
    next_step: str
    # Each acknowledge and transfer response sent to Basware: our request id, Basware's, the state it left.
    basware_requests: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def trace_invoices(store: StateStore, tenant_id: str, id_or_number: str) -> list[InvoiceTrace]:
    """Every invoice of the tenant with this Basware invoiceId or, failing that, this invoice number."""
    return [_trace(store, entry) for entry in store.find_invoices(tenant_id, id_or_number)]


def _trace(store: StateStore, entry: LedgerEntry) -> InvoiceTrace:
    steps = [TraceStep(e.at.isoformat(), e.event, e.run_id, dict(e.detail or {}))
             for e in store.invoice_story(entry.tenant_id, entry.invoice_id)]
    held = store.get_quarantined(entry.tenant_id, RECORD_TYPE, entry.invoice_id)
    return InvoiceTrace(
        tenant=entry.tenant_id, invoice_id=entry.invoice_id, invoice_number=entry.invoice_number,
        status=entry.status.value, company_code=entry.company_code, ifs_company=entry.ifs_company,
        ifs_invoice_key=entry.ifs_invoice_key, external_code=entry.external_code,
        amounts={"currency": entry.currency, "net": _text(entry.net_amount), "tax": _text(entry.tax_amount),
                 "gross": _text(entry.gross_amount)},
        attempts=entry.attempts, last_error=entry.last_error, quarantine=_quarantine(held), steps=steps,
        next_step=NEXT_STEP[entry.status].format(tenant=entry.tenant_id, invoice=entry.invoice_id),
        basware_requests=[_basware_request(s) for s in steps if s.detail.get("basware_state")],
    )


def _basware_request(step: TraceStep) -> dict[str, Any]:
    call = "acknowledge" if step.event == Status.ACKNOWLEDGED else "transferResponse"
    return {"at": step.at, "call": call, "state": step.detail["basware_state"], "run_id": step.run_id,
            "client_request_id": step.detail.get("client_request_id"),
            "basware_request_id": step.detail.get("basware_request_id")}


def _quarantine(held: QuarantineEntry | None) -> dict[str, Any] | None:
    if held is None:
        return None
    return {"reason_code": held.reason_code, "reason": held.reason, "first_seen": held.first_seen.isoformat(),
            "last_seen": held.last_seen.isoformat(), "occurrences": held.occurrences,
            "replays": held.replay_count, "resolved_at": held.resolved_at.isoformat() if held.resolved_at else None}


def _text(value: object) -> str | None:
    return None if value is None else str(value)
