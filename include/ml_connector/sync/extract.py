"""Extract task: read WaitingForTransfer documents of the window, record them, stage them in batches.

Also hands back what only the ledger remembers: invoices acknowledged or created in IFS but not yet
reported (Basware no longer lists them as WaitingForTransfer), quarantined ones that still owe
Basware a failure report, and earlier ones left unfinished.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from ml_connector.basware.client import BaswareClient
from ml_connector.config import TenantConfig
from ml_connector.ifs.client import IfsClient
from ml_connector.state import ExtractedInvoice, StateStore, Status, document_fingerprint
from ml_connector.sync.catalog import load_catalog
from ml_connector.sync.staging import DEFAULT_BATCH_SIZE, MAX_BATCHES, Staging, StoragePath, write_batches
from ml_connector.sync.values import ledger_amount, parse_timestamp
from ml_connector.sync.window import DEFAULT_OVERLAP, STREAM, plan

log = logging.getLogger(__name__)

RESUME_STATUSES = (Status.PROPOSAL_CREATED, Status.ACKNOWLEDGED, Status.QUARANTINED, Status.EXTRACTED,
                   Status.MAPPED)
# A failure report that keeps failing (e.g. the document was removed in Basware) stops being retried.
MAX_REPORT_ATTEMPTS = 5


def extract(
    *, basware: BaswareClient, ifs: IfsClient, store: StateStore, tenant: TenantConfig, run_id: str,
    staging: StoragePath, window: tuple[datetime, datetime] | None = None,
    overlap: timedelta = DEFAULT_OVERLAP, batch_size: int = DEFAULT_BATCH_SIZE, dag_id: str | None = None,
    stream: str = STREAM,
) -> dict[str, Any]:
    tenant_id = tenant.tenant_id
    win = plan(store, tenant_id, window, overlap, stream)
    store.start_run(tenant_id, run_id, dag_id=dag_id, info={"window": win.to_dict()})
    stage = Staging(staging, tenant_id, run_id)
    catalog_ref = stage.write("catalog.json", load_catalog(ifs, tenant.companies.values()).to_json())
    extra = {"tenant": tenant_id, "run_id": run_id, "catalog": catalog_ref}
    counts: Counter[str] = Counter()
    refs: list[dict[str, Any]] = []
    seen: set[str] = set()
    pending: list[dict[str, Any]] = []
    latest: datetime | None = None
    truncated = False

    def flush() -> None:
        if pending:
            result = store.record_extracted(tenant_id, [ledger_row(d) for d in pending], run_id=run_id)
            counts.update(inserted=len(result.inserted), unchanged=len(result.unchanged),
                          reopened=len(result.reopened), changed_after_proposal=len(result.changed_after_proposal))
            items = [{"invoice_id": str(d["invoiceId"]), "document": d} for d in pending]
            refs.extend(write_batches(stage, "batch", items, len(items), extra, start=len(refs)))
            pending.clear()

    for doc in basware.documents.iter(last_updated=win.query_after):
        invoice_id = doc.get("invoiceId")
        if not invoice_id:
            counts["unidentifiable"] += 1
            log.error("Tenant %s: a Basware document without invoiceId was skipped (bumid %s)", tenant_id,
                      doc.get("bumid"))
            continue
        last_updated = parse_timestamp(doc.get("lastUpdated"))
        if not win.contains(last_updated):
            counts["outside_window"] += 1
            continue
        if str(invoice_id) in seen:
            continue  # a page boundary moved under us: the same document twice
        seen.add(str(invoice_id))
        if last_updated is not None and (latest is None or last_updated > latest):
            latest = last_updated
        pending.append(doc)
        if len(pending) >= batch_size:
            flush()
            if len(refs) >= MAX_BATCHES:
                truncated = True
                log.warning("Tenant %s: %d batches reached; the rest waits for the next run", tenant_id, len(refs))
                break
    flush()

    resume = [{"invoice_id": e.invoice_id, "document": None}
              for e in store.unfinished(tenant_id, RESUME_STATUSES)
              if e.invoice_id not in seen and not (e.status is Status.QUARANTINED and e.attempts >= MAX_REPORT_ATTEMPTS)]
    slots = MAX_BATCHES - len(refs)
    if resume and slots > 0:
        size = max(batch_size, -(-len(resume) // slots))
        refs.extend(write_batches(stage, "resume", resume, size, extra, start=len(refs)))
    win = replace(win, max_last_updated=latest, truncated=truncated)
    log.info("Tenant %s run %s: %d documents read, %d resumed, %d batches", tenant_id, run_id, len(seen),
             len(resume), len(refs))
    return {"tenant": tenant_id, "run_id": run_id, "window": win.to_dict(), "catalog": catalog_ref,
            "batches": refs, "counts": {"documents": len(seen), "resumed": len(resume), **_zeroed(counts)}}


def _zeroed(counts: Counter[str]) -> dict[str, int]:
    keys = ("inserted", "unchanged", "reopened", "changed_after_proposal", "outside_window", "unidentifiable")
    return {k: counts.get(k, 0) for k in keys}


def ledger_row(doc: Mapping[str, Any]) -> ExtractedInvoice:
    currency = doc.get("currencyCode")
    company = doc.get("companyCode")
    return ExtractedInvoice(
        invoice_id=str(doc["invoiceId"]),
        fingerprint=document_fingerprint(doc),
        last_updated=parse_timestamp(doc.get("lastUpdated")),
        company_code=str(company)[:50] if company else None,
        currency=currency if isinstance(currency, str) and len(currency) == 3 else None,
        net_amount=ledger_amount(doc.get("netSum")),
        tax_amount=ledger_amount(doc.get("taxSum")),
        gross_amount=ledger_amount(doc.get("grossSum")),
    )
