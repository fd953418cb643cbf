"""The invoice flow's task-level functions: what each Airflow task of the invoice DAG calls.

    extract(...)        -> {"batches": [...], "window": {...}, "catalog": ref, "counts": {...}}
    process_batch(...)  -> {"batch": ref, "invoices": n, "created": .., "reported": .., ...}
    finalize(...)       -> {"state": .., "counts": {...}, "control_totals": [...], "watermark": {...}}
    replay(...)         -> {"results": {invoice_id: {"outcome", "message"}}, "counts": {...}}
    list_quarantine(...)-> [{"invoice_id", "reason_code", "reason", ...}]

Each takes its dependencies explicitly and returns small JSON-serialisable dicts (XCom-sized).
No Airflow imports here.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from ml_connector.basware.client import BaswareClient
from ml_connector.config import TenantConfig
from ml_connector.http.errors import FatalError, RetriableError
from ml_connector.ifs.client import IfsClient
from ml_connector.state import StateStore
from ml_connector.sync.catalog import Catalog
from ml_connector.sync.deps import flow_deps
from ml_connector.sync.errors import RECORD_TYPE
from ml_connector.sync.extract import extract
from ml_connector.sync.finalize import finalize
from ml_connector.sync.flow import COUNT_KEYS, InvoiceFlow
from ml_connector.sync.proposals import DEFAULT_SETTLE
from ml_connector.sync.replay import replay
from ml_connector.sync.staging import StoragePath, read_json
from ml_connector.sync.values import iso
from ml_connector.sync.vendors import VendorDirectory

__all__ = ["extract", "finalize", "list_quarantine", "process_batch", "replay"]
log = logging.getLogger(__name__)


def process_batch(
    batch_ref: Mapping[str, Any], *, basware: BaswareClient, ifs: IfsClient, store: StateStore,
    tenant: TenantConfig, run_id: str, staging: StoragePath, settle: Sequence[float] = DEFAULT_SETTLE,
    vendors: VendorDirectory | None = None, stage: str | None = None,
) -> dict[str, Any]:
    """Every invoice of one staged batch, each on its own: one bad invoice never stops the others.

    `stage` (one of flow.STAGES) does only that step for the batch; None runs every invoice to the end.
    A FatalError (credentials, permissions) ends the batch at once: all invoices would fail alike.
    When `batch_ref` is a previous stage's result, its counts are carried forward.
    """
    batch = read_json(staging, batch_ref["ref"])
    catalog = Catalog.from_json(read_json(staging, batch["catalog"]))
    deps = flow_deps(basware=basware, ifs=ifs, store=store, tenant=tenant, run_id=run_id, catalog=catalog,
                     vendors=vendors, settle=settle)
    items = batch["items"]
    prefetch = stage in (None, "reconcile_vendors")
    try:
        if prefetch:
            deps.suppliers.prefetch(str(i["document"].get("supplierCode") or "") for i in items
                                    if i.get("document"))
    except RetriableError as exc:  # only an optimisation: ensure() checks one by one
        log.warning("Supplier prefetch failed (%s); checking suppliers one by one", exc)
    flow = InvoiceFlow(deps)
    counts: Counter[str] = Counter(dict.fromkeys(COUNT_KEYS, 0))
    counts.update({k: int(batch_ref[k]) for k in COUNT_KEYS if k in batch_ref})
    for item in items:
        invoice_id = str(item["invoice_id"])
        try:
            counts.update(flow.run(invoice_id, item.get("document"), stage))
        except FatalError:
            raise
        except Exception as exc:  # a bug hit by one invoice: logged with its traceback, the rest go on
            log.exception("Invoice %s failed unexpectedly", invoice_id)
            store.record_error(tenant.tenant_id, invoice_id, f"{type(exc).__name__}: {exc}", run_id=run_id)
            counts["failed"] += 1
    log.info("Batch %s: %s", batch_ref["ref"], dict(counts))
    return {"ref": batch_ref["ref"], "batch": batch_ref["ref"], "invoices": len(items), **counts}


def list_quarantine(store: StateStore, tenant_id: str) -> list[dict[str, Any]]:
    """Open quarantine entries of the tenant's invoices, oldest first, with their ledger status."""
    out = []
    for q in store.list_open(tenant_id, RECORD_TYPE):
        entry = store.get_invoice(tenant_id, q.record_id)
        out.append({"invoice_id": q.record_id, "reason_code": q.reason_code, "reason": q.reason,
                    "ledger_status": str(entry.status) if entry else None, "first_seen": iso(q.first_seen),
                    "last_seen": iso(q.last_seen), "occurrences": q.occurrences, "replay_count": q.replay_count})
    return out
