"""Extract task: read WaitingForTransfer documents of the window, record them, stage them in batches.

Also hands back what only the ledger remembers: invoices acknowledged or created in IFS but not yet
reported (Basware no longer lists them as WaitingForTransfer), quarantined ones that still owe
Basware a failure report, and earlier ones left unfinished.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import replace
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from ml_connector.ifs.contract import require_contract
from ml_connector.state import ExtractedInvoice, Status, document_fingerprint
from ml_connector.sync.catalog import load_catalog
from ml_connector.sync.context import TenantContext
from ml_connector.sync.errors import RECORD_TYPE, Reason, quarantine_key
from ml_connector.sync.seen_ids import SeenIds
from ml_connector.sync.staging import DEFAULT_BATCH_SIZE, MAX_BATCHES, Staging, StoragePath, write_batches
from ml_connector.sync.summary import task_summary
from ml_connector.sync.values import iso, ledger_amount, parse_timestamp
from ml_connector.sync.window import DEFAULT_OVERLAP, STREAM, Window, plan

log = logging.getLogger(__name__)

RESUME_STATUSES = (Status.PROPOSAL_CREATED, Status.ACKNOWLEDGED, Status.QUARANTINED, Status.EXTRACTED,
                   Status.MAPPED)
INVOICE_ID_MAX = 36  # Basware's AccountingDocumentEntity.invoiceId maxLength (OpenAPI 26.06.05.402)
# A failure report that keeps failing (e.g. the document was removed in Basware) stops being retried.
MAX_REPORT_ATTEMPTS = 5


def extract(
    ctx: TenantContext, staging: StoragePath, *, window: tuple[datetime, datetime] | None = None,
    overlap: timedelta = DEFAULT_OVERLAP, batch_size: int = DEFAULT_BATCH_SIZE, dag_id: str | None = None,
    stream: str = STREAM,
) -> dict[str, Any]:
    """Raises ContractMismatch, before anything is read or written, when the tenant's IFS field map
    does not match the IFS $metadata: every write with a wrong name would be refused."""
    require_contract(ctx.ifs)
    win = plan(ctx.store, ctx.tenant_id, window, overlap, stream)
    ctx.store.start_run(ctx.tenant_id, ctx.run_id, dag_id=dag_id, info={"window": win.to_dict()})
    stage = Staging(staging, ctx.tenant_id, ctx.run_id)
    catalog_ref = stage.write("catalog.json", load_catalog(ctx.ifs, ctx.tenant.companies.values(),
                                                         batch_reads=ctx.tenant.ifs.write_mode == "batch").to_json())
    batches = BatchWriter(ctx, stage, batch_size, {"tenant": ctx.tenant_id, "run_id": ctx.run_id,
                                                   "catalog": catalog_ref})
    truncated = False
    for doc in documents_in_window(ctx, win, batches.counts, batches.seen):
        batches.add(doc)
        if len(batches.refs) >= MAX_BATCHES:
            truncated = True
            log.warning("Tenant %s: %d batches reached; the rest waits for the next run", ctx.tenant_id,
                        len(batches.refs))
            break
    batches.flush()
    resumed = batches.add_resumed(unfinished_elsewhere(ctx, batches.seen))
    win = replace(win, max_last_updated=batches.latest, truncated=truncated)
    counts = {"documents": len(batches.seen), "resumed": resumed, **_zeroed(batches.counts)}
    log.info("%s", task_summary(ctx.tenant_id, ctx.run_id, "extract", {**counts, "batches": len(batches.refs)},
                                ("documents", "resumed", "batches"),
                                [f"window: changed after {iso(win.query_after) or 'the start'}"
                                 + (f", before {iso(win.until)}" if win.until else "")
                                 + (" (truncated: the rest waits for the next run)" if truncated else "")]))
    return {"tenant": ctx.tenant_id, "run_id": ctx.run_id, "window": win.to_dict(), "catalog": catalog_ref,
            "batches": batches.refs, "counts": counts}


def documents_in_window(ctx: TenantContext, win: Window, counts: Counter[str],
                        seen: SeenIds) -> Iterator[dict[str, Any]]:
    """WaitingForTransfer documents last updated inside the window, each once (their ids are added to
    `seen`: the batch writer's own set, one copy of the ids a burst holds); what is left out is counted in
    `counts`."""
    for doc in ctx.basware.documents.iter(last_updated=win.query_after):
        invoice_id = doc.get("invoiceId")
        if not invoice_id:
            counts["unidentifiable"] += 1
            log.error("Tenant %s: a Basware document without invoiceId was skipped (bumid %s)", ctx.tenant_id,
                      doc.get("bumid"))
        elif (problem := invoice_id_problem(invoice_id)) is not None:
            counts["rejected"] += 1
            quarantine_unkeyable(ctx, doc, problem)
        elif not win.contains(parse_timestamp(doc.get("lastUpdated"))):
            counts["outside_window"] += 1
        elif str(invoice_id) not in seen:  # else a page boundary moved under us: the same document twice
            seen.add(str(invoice_id))
            yield doc


def invoice_id_problem(invoice_id: Any) -> str | None:
    """Why an invoiceId cannot key the ledger (None when it can): Basware's own limit, so one hostile or
    broken document is set aside instead of failing every run of the tenant on the ledger's column."""
    if not isinstance(invoice_id, str):
        return f"invoiceId is a JSON {type(invoice_id).__name__}, not a string"
    if len(invoice_id) > INVOICE_ID_MAX:
        return f"invoiceId is {len(invoice_id)} characters long; Basware allows at most {INVOICE_ID_MAX}"
    if not invoice_id.isprintable():
        return "invoiceId contains control characters"
    return None


def quarantine_unkeyable(ctx: TenantContext, doc: Mapping[str, Any], problem: str) -> None:
    """Quarantined under the id itself when it fits the quarantine key, else under its hash; never in the
    ledger. Nothing is reported to Basware: the AP team must correct the document there."""
    raw = str(doc.get("invoiceId"))
    record_id = quarantine_key(raw)
    shown = raw[:40] + ("..." if len(raw) > 40 else "")
    reason = f"invoice {shown!r} (invoice number {doc.get('invoiceNumber')!r}): {problem}"
    ctx.store.quarantine(ctx.tenant_id, RECORD_TYPE, record_id, Reason.MALFORMED, reason, dict(doc),
                         run_id=ctx.run_id)
    log.error("Tenant %s: quarantined a Basware document: %s", ctx.tenant_id, reason)


def unfinished_elsewhere(ctx: TenantContext, seen: SeenIds) -> list[str]:
    """What only the ledger remembers: invoices this read did not return that still owe a step."""
    return [invoice_id for invoice_id, status, attempts in ctx.store.unfinished_ids(ctx.tenant_id, RESUME_STATUSES)
            if invoice_id not in seen and not (status is Status.QUARANTINED and attempts >= MAX_REPORT_ATTEMPTS)]


class BatchWriter:
    """Records extracted documents in the ledger and stages them as batches of `batch_size`."""

    def __init__(self, ctx: TenantContext, stage: Staging, batch_size: int, extra: dict[str, Any]) -> None:
        self.ctx, self.stage, self.batch_size, self.extra = ctx, stage, batch_size, extra
        self.counts: Counter[str] = Counter()
        self.refs: list[dict[str, Any]] = []
        self.seen = SeenIds()
        self.latest: datetime | None = None
        self._pending: list[dict[str, Any]] = []

    def add(self, doc: dict[str, Any]) -> None:
        self.seen.add(str(doc["invoiceId"]))
        last_updated = parse_timestamp(doc.get("lastUpdated"))
        if last_updated is not None and (self.latest is None or last_updated > self.latest):
            self.latest = last_updated
        self._pending.append(doc)
        if len(self._pending) >= self.batch_size:
            self.flush()

    def flush(self) -> None:
        """The ledger first, then the staged batch: a document staged is always in the ledger."""
        if not self._pending:
            return
        result = self.ctx.store.record_extracted(self.ctx.tenant_id, [ledger_row(d) for d in self._pending],
                                                 run_id=self.ctx.run_id)
        self.counts.update(inserted=len(result.inserted), unchanged=len(result.unchanged),
                           reopened=len(result.reopened), changed_after_proposal=len(result.changed_after_proposal))
        items = [{"invoice_id": str(d["invoiceId"]), "document": d} for d in self._pending]
        self.refs.extend(write_batches(self.stage, "batch", items, len(items), self.extra, start=len(self.refs)))
        self._pending.clear()

    def add_resumed(self, invoice_ids: list[str]) -> int:
        """Batches of invoices resumed from the ledger (no document: each stage fetches it), spread over
        the batch slots left; returns how many were resumed."""
        slots = MAX_BATCHES - len(self.refs)
        if invoice_ids and slots > 0:
            size = max(self.batch_size, -(-len(invoice_ids) // slots))
            items = [{"invoice_id": i, "document": None} for i in invoice_ids]
            self.refs.extend(write_batches(self.stage, "resume", items, size, self.extra, start=len(self.refs)))
        return len(invoice_ids)


def _zeroed(counts: Counter[str]) -> dict[str, int]:
    keys = ("inserted", "unchanged", "reopened", "changed_after_proposal", "outside_window", "unidentifiable",
            "rejected")
    return {k: counts.get(k, 0) for k in keys}


def _header_tax(doc: Mapping[str, Any]) -> Decimal | None:
    """taxSum1 + taxSum2, an absent one counting 0 (as in the mapping); None when one is not a storable
    amount."""
    amounts = [ledger_amount(p) for p in (doc.get("taxSum1"), doc.get("taxSum2")) if p is not None]
    if any(a is None for a in amounts):
        return None
    return sum((a for a in amounts if a is not None), Decimal(0))


def ledger_row(doc: Mapping[str, Any]) -> ExtractedInvoice:
    currency = doc.get("currencyCode")
    company = doc.get("companyCode")
    return ExtractedInvoice(
        invoice_id=str(doc["invoiceId"]),
        fingerprint=document_fingerprint(doc),
        last_updated=parse_timestamp(doc.get("lastUpdated")),
        company_code=_text(company, 50),
        currency=currency if isinstance(currency, str) and len(currency) == 3 and currency.isprintable() else None,
        net_amount=ledger_amount(doc.get("netSum")),
        tax_amount=_header_tax(doc),
        gross_amount=ledger_amount(doc.get("grossSum")),
        invoice_number=_text(doc.get("invoiceNumber"), 100),
    )


def _text(value: Any, limit: int) -> str | None:
    """What fits the ledger's column; mapping quarantines the document when the value breaks Basware's
    limit or holds a NUL, so the ledger only has to hold it without failing the batch."""
    return str(value).replace("\x00", "")[:limit] or None if value not in (None, "") else None
