"""The invoice flow's task-level functions: what each Airflow task of the invoice DAG calls.

    extract(...)        -> {"batches": [...], "window": {...}, "catalog": ref, "counts": {...}}
    process_batch(...)  -> {"batch": ref, "invoices": n, "created": .., "reported": .., "held": [...]}
    finalize(...)       -> {"state": .., "counts": {...}, "control_totals": [...], "watermark": {...}}
    replay(...)         -> {"results": {invoice_id: {"outcome", "message"}}, "counts": {...}}
    list_quarantine(...)-> [{"invoice_id", "reason_code", "reason", ...}]

Each takes the run's TenantContext first and returns small JSON-serialisable dicts (XCom-sized).
No Airflow imports here.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from ml_connector.http.errors import FatalError, RetriableError
from ml_connector.http.redact import redact
from ml_connector.state import StateStore
from ml_connector.sync.catalog import Catalog
from ml_connector.sync.context import TenantContext
from ml_connector.sync.errors import RECORD_TYPE, require_own
from ml_connector.sync.extract import extract
from ml_connector.sync.finalize import finalize
from ml_connector.sync.flow import COUNT_KEYS, HOLDING_EVENTS, InvoiceFlow, InvoiceItem, Stage
from ml_connector.sync.invoice_suppliers import VendorDirectory
from ml_connector.sync.replay import replay
from ml_connector.sync.staging import StoragePath, read_json
from ml_connector.sync.summary import task_summary
from ml_connector.sync.values import iso

__all__ = ["extract", "finalize", "list_quarantine", "process_batch", "replay"]
log = logging.getLogger(__name__)


# Stages whose invoices go through in parallel threads (bounded per system by the tenant's throttles);
# mapping is local and supplier creation must not race on one supplier, so those stay one by one.
CONCURRENT_STAGES = (Stage.UPSERT_PROPOSALS, Stage.REPORT_BACK)
# The counts each stage's log summary always shows (others appear when not zero).
STAGE_HEADLINE: dict[Stage | None, tuple[str, ...]] = {
    Stage.MAP_DIMENSIONS: ("quarantined", "deferred"),
    Stage.RECONCILE_VENDORS: ("suppliers_created", "quarantined", "deferred"),
    Stage.UPSERT_PROPOSALS: ("created", "updated", "unchanged", "quarantined", "deferred"),
    Stage.REPORT_BACK: ("reported", "failures_reported", "deferred"),
}
# Workers per request slot: a worker also reads and writes the state store between its requests, and
# with one worker per slot the slots stood idle meanwhile. The throttles still bound what is in flight.
WORKERS_PER_SLOT = 2


def process_batch(ctx: TenantContext, staging: StoragePath, batch_ref: Mapping[str, Any], *,
                  stage: Stage | None = None, vendors: VendorDirectory | None = None) -> dict[str, Any]:
    """Every invoice of one staged batch, each on its own: one bad invoice never stops the others.

    `stage` does only that stage for the batch (the DAG's tasks); None runs every stage in order over
    the batch. When `batch_ref` is the previous stage's result, its counts are carried forward and
    the invoices it deferred or failed (`held`) are taken no further in this run.
    A FatalError (credentials, permissions) ends the batch at once: all invoices would fail alike.
    """
    batch = read_json(staging, batch_ref["ref"])
    require_own(ctx.tenant_id, f"staged batch {batch_ref['ref']}", batch.get("tenant"))
    catalog = Catalog.from_json(read_json(staging, batch["catalog"]))
    flow = InvoiceFlow.build(ctx, catalog, vendors)
    held = set(batch_ref.get("held") or ())
    items = [InvoiceItem(str(i["invoice_id"]), i.get("document")) for i in batch["items"]]
    counts: Counter[str] = Counter(dict.fromkeys(COUNT_KEYS, 0))
    counts.update({k: int(batch_ref[k]) for k in COUNT_KEYS if k in batch_ref})
    for this_stage in [stage] if stage else list(Stage):
        todo = [i for i in items if i.invoice_id not in held]
        if this_stage is Stage.RECONCILE_VENDORS:
            _prefetch_suppliers(flow, todo)
        for item, events in _run_stage(ctx, flow, this_stage, todo):
            counts.update(events)
            if HOLDING_EVENTS.intersection(events):
                held.add(item.invoice_id)
    what = f"{stage or 'all stages'} of batch {batch_ref['ref']} (counts so far)"
    log.info("%s", task_summary(ctx.tenant_id, ctx.run_id, what, {"invoices": len(items), **counts},
                                ("invoices", *STAGE_HEADLINE.get(stage, COUNT_KEYS))))
    return {"ref": batch_ref["ref"], "batch": batch_ref["ref"], "invoices": len(batch["items"]), **counts,
            "held": sorted(held)}


def _run_stage(ctx: TenantContext, flow: InvoiceFlow, stage: Stage,
               items: list[InvoiceItem]) -> Iterator[tuple[InvoiceItem, list[str]]]:
    """The stage for each item; the batch's proposals are looked up first, in one $batch of queries.
    One pool over the whole batch: per-page pools drained at every page end (the slowest request)."""
    workers = ctx.tenant.concurrency.workers * WORKERS_PER_SLOT if stage in CONCURRENT_STAGES else 1
    if stage is Stage.UPSERT_PROPOSALS:
        _prefetch_proposals(flow, items)
    if workers == 1:
        yield from ((item, _run_one(ctx, flow, item, stage)) for item in items)
        return
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix=f"mlc-{ctx.tenant_id}") as pool:
        yield from zip(items, pool.map(lambda item: _run_one(ctx, flow, item, stage), items), strict=True)


def _run_one(ctx: TenantContext, flow: InvoiceFlow, item: InvoiceItem, stage: Stage) -> list[str]:
    try:
        return flow.run_stage(stage, item)
    except FatalError:
        raise
    except Exception as exc:  # a bug hit by one invoice: logged with its traceback, the rest go on
        log.exception("Invoice %s failed unexpectedly", item.invoice_id)
        ctx.store.record_error(ctx.tenant_id, item.invoice_id, redact(f"{type(exc).__name__}: {exc}"),
                               run_id=ctx.run_id)
        return ["failed"]


def _prefetch_proposals(flow: InvoiceFlow, page: list[InvoiceItem]) -> None:
    try:
        flow.prefetch_proposals([i.invoice_id for i in page])
    except RetriableError as exc:  # only an optimisation: each invoice is then looked up on its own
        log.warning("Proposal look-up for a page failed (%s); looking invoices up one by one", exc)


def _prefetch_suppliers(flow: InvoiceFlow, items: list[InvoiceItem]) -> None:
    codes = (str(i.document.get("supplierCode") or "") for i in items if i.document)
    try:
        flow.suppliers.prefetch(codes)
    except RetriableError as exc:  # only an optimisation: ensure() checks one by one
        log.warning("Supplier prefetch failed (%s); checking suppliers one by one", exc)


def list_quarantine(store: StateStore, tenant_id: str) -> list[dict[str, Any]]:
    """Open quarantine entries of the tenant's invoices, oldest first, with their ledger status."""
    out = []
    for q in store.list_open(tenant_id, RECORD_TYPE):
        entry = store.get_invoice(tenant_id, q.record_id)
        out.append({"invoice_id": q.record_id, "reason_code": q.reason_code, "reason": q.reason,
                    "ledger_status": str(entry.status) if entry else None, "first_seen": iso(q.first_seen),
                    "last_seen": iso(q.last_seen), "occurrences": q.occurrences, "replay_count": q.replay_count})
    return out
