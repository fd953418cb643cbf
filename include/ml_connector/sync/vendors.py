"""Vendor sync, Basware -> IFS: Basware vendors matched to IFS suppliers by vendorCode = supplier number.

A vendor with no IFS supplier is created through the invoice flow's own creation path
(`SupplierReconciler.create`, same audit row); a supplier whose fields differ from the vendor is updated
through the ETag/If-Match path, with one audit entry per changed field (old value, new value, system,
run). A vendor that cannot be synced is quarantined as record type `vendor` and the run goes on.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from ml_connector.http.errors import RecordError
from ml_connector.sync.context import TenantContext
from ml_connector.sync.errors import quarantine_key
from ml_connector.sync.invoice_suppliers import SupplierReconciler, VendorDirectory, supplier_body

log = logging.getLogger(__name__)

STREAM = "vendors_basware"  # watermark: Basware lastUpdated of the newest vendor synced
RECORD_TYPE = "vendor"
ENTITY = "vendor"
VENDOR_CODE_MAX = 25  # Basware's VendorEntity.vendorCode maxLength; also keys the audit trail


def sync_basware_to_ifs(ctx: TenantContext, *, since: datetime | None = None) -> dict[str, Any]:
    """One pass over the Basware vendors changed since the watermark (or `since`); returns counts."""
    since = since or ctx.store.get_watermark(ctx.tenant_id, STREAM)
    suppliers = _ifs_suppliers(ctx)
    reconciler = SupplierReconciler(ctx.ifs, VendorDirectory(ctx.basware), ctx.store, ctx.tenant_id, ctx.run_id)
    counts = {"read": 0, "matched": 0, "created": 0, "updated": 0, "unchanged": 0, "quarantined": 0}
    newest: str | None = None
    for vendor in ctx.basware.vendors.iter(last_updated=since):
        counts["read"] += 1
        newest = max(newest or "", str(vendor.get("lastUpdated") or "")) or None
        try:
            counts[_sync_one(ctx, reconciler, suppliers, vendor)] += 1
        except RecordError as exc:  # a bad record; transport and auth failures fail the task (retried)
            counts["quarantined"] += 1
            code = quarantine_key(str(vendor.get("vendorCode") or vendor.get("externalCode") or "?"))
            ctx.store.quarantine(ctx.tenant_id, RECORD_TYPE, code, type(exc).__name__, str(exc),
                                 payload=vendor, run_id=ctx.run_id)
            log.warning("Vendor %s quarantined: %s", code, exc)
    if newest and not counts["quarantined"]:
        ctx.store.advance_watermark(ctx.tenant_id, STREAM, newest, run_id=ctx.run_id)
    return {"run_id": ctx.run_id, "counts": counts}


def _ifs_suppliers(ctx: TenantContext) -> dict[str, dict[str, Any]]:
    cfg = ctx.ifs.fields.suppliers
    return {str(row[cfg.supplier_id]): row for row in ctx.ifs.reads.iter(cfg.projection, cfg.entity_set)}


def _sync_one(ctx: TenantContext, reconciler: SupplierReconciler, suppliers: Mapping[str, dict[str, Any]],
              vendor: Mapping[str, Any]) -> str:
    code = str(vendor.get("vendorCode") or "").strip()
    if not code:
        raise RecordError(f"Basware vendor {vendor.get('externalCode')!r} has no vendorCode",
                          record_id=str(vendor.get("externalCode")))
    if len(code) > VENDOR_CODE_MAX or not code.isprintable():
        shown = code[:40] + ("..." if len(code) > 40 else "")
        raise RecordError(f"Basware vendor {shown!r}: vendorCode is {len(code)} characters long or holds "
                          f"control characters; Basware allows at most {VENDOR_CODE_MAX} printable ones",
                          record_id=shown)
    current = suppliers.get(code)
    if current is None:
        reconciler.create(code, vendor, _first_company(ctx, vendor))
        return "created"
    changes = field_changes(supplier_body(ctx.ifs.fields.suppliers, code, vendor), current)
    if not changes:
        return "unchanged"
    cfg = ctx.ifs.fields.suppliers
    ctx.ifs.writes.update(cfg.projection, cfg.entity_set, {cfg.supplier_id: code},
                          {name: change["after"] for name, change in changes.items()})
    ctx.store.audit(ctx.tenant_id, ENTITY, code, "updated", "basware", changes, run_id=ctx.run_id)
    log.info("IFS supplier %s updated from Basware: %s", code, ", ".join(sorted(changes)))
    return "updated"


def field_changes(desired: Mapping[str, Any], current: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """{field: {"before", "after"}} for every field of `desired` whose value differs from `current`."""
    return {name: {"before": current.get(name), "after": value}
            for name, value in desired.items() if current.get(name) != value}


def _first_company(ctx: TenantContext, vendor: Mapping[str, Any]) -> str | None:
    for company in vendor.get("companies") or ():
        ifs_company = ctx.tenant.ifs_company(str(company.get("companyCode") or ""))
        if ifs_company:
            return ifs_company
    return None
