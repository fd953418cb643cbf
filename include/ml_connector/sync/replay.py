"""Replay of quarantined invoices after their mapping (tenant config or IFS master data) was fixed.

The document is fetched again from Basware, because only Basware can take the outcome:
- WaitingForTransfer (the AP team re-sent it) or TransferInProgress (its failure was never
  reported): reopened in the ledger and run through the flow now, with a fresh code-part catalog.
- TransferFailed: Basware accepts no new transfer response until the AP team re-sends the invoice
  for transfer. Replay says so and changes nothing; once re-sent, the next regular run (or a
  replay) transfers it, the ledger reopening it by its new document version.
- Gone from Basware, or already Transferred: nothing to do; the stored payload is kept for reference
  only. Creating a proposal Basware can never be told about would leave the two systems disagreeing.
"""

from __future__ import annotations

import logging
from collections import Counter
from typing import Any

from ml_connector.http.errors import RetriableError
from ml_connector.ifs.contract import require_contract
from ml_connector.state import QuarantineEntry
from ml_connector.sync.catalog import load_catalog
from ml_connector.sync.context import TenantContext
from ml_connector.sync.errors import RECORD_TYPE
from ml_connector.sync.extract import invoice_id_problem, ledger_row
from ml_connector.sync.flow import OPEN_IN_BASWARE, InvoiceFlow

log = logging.getLogger(__name__)


def replay(ctx: TenantContext, invoice_id: str | None = None) -> dict[str, Any]:
    """Replay one quarantined invoice, or all open ones (`invoice_id=None`)."""
    entries = _open_entries(ctx, invoice_id)
    results: dict[str, dict[str, str]] = {}
    if invoice_id is not None and not entries:
        results[invoice_id] = {"outcome": "not_quarantined", "message": "no open quarantine entry"}
    if entries:
        require_contract(ctx.ifs)  # the fix may have been to the field map: check it before writing
    # A fresh code-part catalog: the fix may be in IFS.
    flow = InvoiceFlow.build(ctx, load_catalog(ctx.ifs, ctx.tenant.companies.values())) if entries else None
    for entry in entries:
        assert flow is not None
        try:
            outcome, message = _replay_one(ctx, flow, entry.record_id)
        except RetriableError as exc:  # Basware unreachable for this one: the others still get their turn
            outcome, message = "deferred", str(exc)
        results[entry.record_id] = {"outcome": outcome, "message": message}
        log.info("Replay of invoice %s: %s (%s)", entry.record_id, outcome, message)
    counts = Counter(r["outcome"] for r in results.values())
    return {"tenant": ctx.tenant_id, "run_id": ctx.run_id, "results": results, "counts": dict(counts)}


def _open_entries(ctx: TenantContext, invoice_id: str | None) -> list[QuarantineEntry]:
    if invoice_id is None:
        return list(ctx.store.list_open(ctx.tenant_id, RECORD_TYPE))
    found = ctx.store.get_quarantined(ctx.tenant_id, RECORD_TYPE, invoice_id)
    return [found] if found and found.resolved_at is None else []


def _replay_one(ctx: TenantContext, flow: InvoiceFlow, invoice_id: str) -> tuple[str, str]:
    if (problem := invoice_id_problem(invoice_id)) is not None:
        return "not_replayable", f"{problem}: the AP team must correct the document in Basware"
    doc = ctx.basware.documents.get(invoice_id)
    status = (doc or {}).get("processingStatus")
    if doc is None:
        return "not_in_basware", "Basware no longer has this document: nothing can be transferred"
    if status == "TransferFailed":
        return "awaiting_basware", ("returned to the AP team as TransferFailed: re-send it for transfer in "
                                    "Basware, then run again (the fixed mapping applies)")
    if status not in OPEN_IN_BASWARE:
        return "not_replayable", f"the document is {status} in Basware"
    store, tenant_id, run_id = ctx.store, ctx.tenant_id, ctx.run_id
    store.note_event(tenant_id, invoice_id, "replayed", run_id=run_id)
    store.record_extracted(tenant_id, [ledger_row(doc)], run_id=run_id)  # a new version reopens by itself
    store.reopen(tenant_id, invoice_id, run_id=run_id)  # the same version: the one sanctioned step back
    store.mark_replayed(tenant_id, RECORD_TYPE, invoice_id)
    events = flow.run(invoice_id, doc)
    if "reported" in events:
        return "transferred", "proposal in IFS and transfer reported to Basware"
    if "quarantined" in events:
        entry = store.get_quarantined(tenant_id, RECORD_TYPE, invoice_id)
        return "quarantined_again", entry.reason if entry and entry.reason else "still not mappable"
    if "deferred" in events:
        return "deferred", "a transient error; the next run resumes it"
    return "failed", ", ".join(events) or "no progress"
