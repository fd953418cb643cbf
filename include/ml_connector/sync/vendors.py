"""Vendor sync, Basware -> IFS: Basware vendors matched to IFS suppliers by vendorCode = supplier number.

A vendor with no IFS supplier is created through the invoice flow's own creation path
(`SupplierReconciler.create`, same audit row); a supplier whose fields differ from the vendor is updated
through the ETag/If-Match path, with one audit entry per changed field (old value, new value, system,
run). A vendor that cannot be synced is quarantined as record type `vendor` and the run goes on.

A vendor whose synced fields match what the last sync left in Basware is no change (often our own IFS ->
Basware post read back: sync/vendors_to_basware.py). One changed in IFS too since the last sync is a
conflict (sync/vendor_conflicts.py): `basware_wins` updates IFS and records the IFS change it overwrites,
`hold` quarantines it, `ifs_wins` leaves it to the IFS -> Basware task, which records the Basware change.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from ml_connector.http.errors import RecordError
from ml_connector.sync.context import TenantContext
from ml_connector.sync.invoice_suppliers import SupplierReconciler, VendorDirectory, supplier_body
from ml_connector.sync.vendor_conflicts import (
    BASWARE,
    IFS,
    VendorVersions,
    basware_view,
    field_changes,
    hold,
    ifs_view,
    record_conflict,
    winner,
)

log = logging.getLogger(__name__)

STREAM = "vendors_basware"  # watermark: Basware lastUpdated of the newest vendor synced
RECORD_TYPE = "vendor"
ENTITY = "vendor"


def sync_basware_to_ifs(ctx: TenantContext, *, since: datetime | None = None) -> dict[str, Any]:
    """One pass over the Basware vendors changed since the watermark (or `since`); returns counts."""
    since = since or ctx.store.get_watermark(ctx.tenant_id, STREAM)
    suppliers = _ifs_suppliers(ctx)
    reconciler = SupplierReconciler(ctx.ifs, VendorDirectory(ctx.basware), ctx.store, ctx.tenant_id, ctx.run_id)
    versions = VendorVersions(ctx)
    counts = {"read": 0, "matched": 0, "created": 0, "updated": 0, "unchanged": 0, "quarantined": 0,
              "deferred": 0, "held": 0}
    newest: str | None = None
    for vendor in ctx.basware.vendors.iter(last_updated=since):
        counts["read"] += 1
        newest = max(newest or "", str(vendor.get("lastUpdated") or "")) or None
        try:
            counts[_sync_one(ctx, reconciler, suppliers, versions, vendor)] += 1
        except RecordError as exc:  # a bad record; transport and auth failures fail the task (retried)
            counts["quarantined"] += 1
            code = str(vendor.get("vendorCode") or vendor.get("externalCode") or "?")
            ctx.store.quarantine(ctx.tenant_id, RECORD_TYPE, code, type(exc).__name__, str(exc),
                                 payload=vendor, run_id=ctx.run_id)
            log.warning("Vendor %s quarantined: %s", code, exc)
    versions.flush()
    if newest and not counts["quarantined"]:
        ctx.store.advance_watermark(ctx.tenant_id, STREAM, newest, run_id=ctx.run_id)
    return {"run_id": ctx.run_id, "counts": counts}


def _ifs_suppliers(ctx: TenantContext) -> dict[str, dict[str, Any]]:
    cfg = ctx.ifs.fields.suppliers
    return {str(row[cfg.supplier_id]): row for row in ctx.ifs.reads.iter(cfg.projection, cfg.entity_set)}


def _sync_one(ctx: TenantContext, reconciler: SupplierReconciler, suppliers: Mapping[str, dict[str, Any]],
              versions: VendorVersions, vendor: Mapping[str, Any]) -> str:
    code = str(vendor.get("vendorCode") or "").strip()
    if not code:
        raise RecordError(f"Basware vendor {vendor.get('externalCode')!r} has no vendorCode",
                          record_id=str(vendor.get("externalCode")))
    if code in versions.held:
        return "held"
    cfg = ctx.ifs.fields.suppliers
    seen = basware_view(cfg, code, vendor)
    current = suppliers.get(code)
    desired = supplier_body(cfg, code, vendor)
    if current is None:
        reconciler.create(code, vendor, _first_company(ctx, vendor))
        versions.settle(code, ifs_view(cfg, desired), seen)
        return "created"
    if versions.changed(code, BASWARE, seen) is False:  # as the last sync left it: our own write read back
        return "unchanged"
    changes = field_changes(desired, current)
    in_ifs = ifs_view(cfg, current)
    if not changes:
        versions.settle(code, in_ifs, seen)
        return "unchanged"
    if versions.changed(code, IFS, in_ifs):  # changed on both sides since the last sync
        kept = winner(ctx)
        if kept == IFS:
            return "deferred"  # the IFS -> Basware task posts IFS's version and records Basware's change
        if kept is None:
            hold(ctx, versions, code, in_ifs, seen, {IFS: current, BASWARE: vendor})
            return "held"
        record_conflict(ctx, versions, code, in_ifs, seen, (IFS,))
    ctx.ifs.writes.update(cfg.projection, cfg.entity_set, {cfg.supplier_id: code},
                          {name: change["after"] for name, change in changes.items()})
    ctx.store.audit(ctx.tenant_id, ENTITY, code, "updated", "basware", changes, run_id=ctx.run_id)
    versions.settle(code, ifs_view(cfg, {**current, **desired}), seen)
    log.info("IFS supplier %s updated from Basware: %s", code, ", ".join(sorted(changes)))
    return "updated"


def _first_company(ctx: TenantContext, vendor: Mapping[str, Any]) -> str | None:
    for company in vendor.get("companies") or ():
        ifs_company = ctx.tenant.ifs_company(str(company.get("companyCode") or ""))
        if ifs_company:
            return ifs_company
    return None
