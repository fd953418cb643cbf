"""Vendor sync, Basware -> IFS: Basware vendors matched to IFS suppliers by vendorCode = supplier number.

A vendor with no IFS supplier is created through the invoice flow's own creation path
(`SupplierReconciler.create`, same audit row); a supplier whose fields differ from the vendor is updated
through the ETag/If-Match path, with one audit entry per changed field (old value, new value, system,
run). A vendor that cannot be synced is quarantined as record type `vendor` and the run goes on.
A vendor that looks like a supplier IFS already has is held for a person (sync/vendor_duplicates.py);
one with no supplier number yet gets one, written back to Basware (sync/vendor_numbers.py).

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
from ml_connector.sync import vendor_duplicates, vendor_numbers
from ml_connector.sync.context import TenantContext
from ml_connector.sync.errors import DuplicateSupplier, quarantine_key
from ml_connector.sync.invoice_suppliers import SupplierReconciler, VendorDirectory, supplier_body
from ml_connector.sync.summary import task_summary
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
VENDOR_CODE_MAX = 25  # Basware's VendorEntity.vendorCode maxLength; also keys the audit trail


def sync_basware_to_ifs(ctx: TenantContext, *, since: datetime | None = None) -> dict[str, Any]:
    """One pass over the Basware vendors changed since the watermark (or `since`); returns counts."""
    since = since or ctx.store.get_watermark(ctx.tenant_id, STREAM)
    suppliers = _ifs_suppliers(ctx)
    reconciler = SupplierReconciler(ctx.ifs, VendorDirectory(ctx.basware), ctx.store, ctx.tenant_id, ctx.run_id)
    versions = VendorVersions(ctx)
    counts = _zero_counts()
    _replay_decided(ctx, reconciler, suppliers, versions, counts)
    newest: str | None = None
    for vendor in ctx.basware.vendors.iter(last_updated=since):
        counts["read"] += 1
        newest = max(newest or "", str(vendor.get("lastUpdated") or "")) or None
        _sync_counted(ctx, reconciler, suppliers, versions, vendor, counts)
    versions.flush()
    moved = newest is not None and not counts["quarantined"]
    if newest is not None and moved:
        ctx.store.advance_watermark(ctx.tenant_id, STREAM, newest, run_id=ctx.run_id)
    log.info("%s", task_summary(ctx.tenant_id, ctx.run_id, "vendors Basware -> IFS", counts, tuple(counts),
                                [f"watermark {'moved to ' + str(newest) if moved else 'kept'}"]))
    return {"run_id": ctx.run_id, "counts": counts}


def replay_decided(ctx: TenantContext) -> dict[str, Any]:
    """Run the held vendors a person decided on through the sync now (`ml-connector vendors decide`)."""
    reconciler = SupplierReconciler(ctx.ifs, VendorDirectory(ctx.basware), ctx.store, ctx.tenant_id, ctx.run_id)
    versions = VendorVersions(ctx)
    counts = _zero_counts()
    _replay_decided(ctx, reconciler, _ifs_suppliers(ctx), versions, counts)
    versions.flush()
    return {"run_id": ctx.run_id, "counts": counts}


def supplier_exists(ctx: TenantContext, supplier_id: str) -> bool:
    return SupplierReconciler(ctx.ifs, VendorDirectory(ctx.basware), ctx.store, ctx.tenant_id,
                              ctx.run_id).exists(supplier_id)


def _zero_counts() -> dict[str, int]:
    return dict.fromkeys(("read", "matched", "created", "updated", "unchanged", "quarantined", "deferred", "held",
                          "numbered", "written_back", "replayed"), 0)


def _replay_decided(ctx: TenantContext, reconciler: SupplierReconciler, suppliers: dict[str, dict[str, Any]],
                    versions: VendorVersions, counts: dict[str, int]) -> None:
    for key in vendor_duplicates.decided_keys(ctx.store, ctx.tenant_id):
        vendor = ctx.basware.vendors.get(key)
        if vendor is None:
            log.warning("Held vendor %s is no longer in Basware; its hold stays open", key)
            continue
        counts["replayed"] += 1
        _sync_counted(ctx, reconciler, suppliers, versions, vendor, counts)


def _sync_counted(ctx: TenantContext, reconciler: SupplierReconciler, suppliers: dict[str, dict[str, Any]],
                  versions: VendorVersions, vendor: Mapping[str, Any], counts: dict[str, int]) -> None:
    try:
        counts[_sync_one(ctx, reconciler, suppliers, versions, vendor)] += 1
    except DuplicateSupplier:  # held for a person (vendor_duplicates); replayed once decided, not re-read
        counts["held"] += 1
    except RecordError as exc:  # a bad record; transport and auth failures fail the task (retried)
        counts["quarantined"] += 1
        code = quarantine_key(str(vendor.get("vendorCode") or vendor.get("externalCode") or "?"))
        ctx.store.quarantine(ctx.tenant_id, RECORD_TYPE, code, type(exc).__name__, str(exc),
                             payload=dict(vendor), run_id=ctx.run_id)
        log.warning("Vendor %s quarantined: %s", code, exc)


def _ifs_suppliers(ctx: TenantContext) -> dict[str, dict[str, Any]]:
    cfg = ctx.ifs.fields.suppliers
    return {str(row[cfg.supplier_id]): row for row in ctx.ifs.reads.iter(cfg.projection, cfg.entity_set)}


def _sync_one(ctx: TenantContext, reconciler: SupplierReconciler, suppliers: dict[str, dict[str, Any]],
              versions: VendorVersions, vendor: Mapping[str, Any]) -> str:
    linked = vendor_duplicates.linked_supplier(ctx.store, ctx.tenant_id, vendor)
    if linked:  # a person said this held vendor is supplier `linked`: Basware's code becomes that number
        if str(vendor.get("vendorCode") or "").strip() != linked:
            vendor = vendor_numbers.write_back(ctx, vendor, linked, why="linked by a person")
        vendor_duplicates.resolve_hold(ctx.store, ctx.tenant_id, vendor)
    elif vendor_numbers.is_pending(ctx.tenant, vendor):
        return _number(ctx, reconciler, suppliers, versions, vendor)
    code = str(vendor.get("vendorCode") or "").strip()
    if not code:
        raise RecordError(f"Basware vendor {vendor.get('externalCode')!r} has no vendorCode",
                          record_id=str(vendor.get("externalCode")))
    if len(code) > VENDOR_CODE_MAX or not code.isprintable():
        shown = code[:40] + ("..." if len(code) > 40 else "")
        raise RecordError(f"Basware vendor {shown!r}: vendorCode is {len(code)} characters long or holds "
                          f"control characters; Basware allows at most {VENDOR_CODE_MAX} printable ones",
                          record_id=shown)
    if code in versions.held:
        return "held"
    cfg = ctx.ifs.fields.suppliers
    seen = basware_view(cfg, code, vendor)
    current = suppliers.get(code)
    desired = supplier_body(cfg, code, vendor)
    if current is None:
        reconciler.create(code, vendor, _first_company(ctx, vendor))
        suppliers[code] = desired  # a re-read is unchanged
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


def _number(ctx: TenantContext, reconciler: SupplierReconciler, suppliers: dict[str, dict[str, Any]],
            versions: VendorVersions, vendor: Mapping[str, Any]) -> str:
    """A vendor without a supplier number: create the supplier under its new number, write it back."""
    cfg = ctx.ifs.fields.suppliers
    code = vendor_numbers.new_supplier_id(ctx.tenant, vendor)
    fresh = code not in suppliers and not reconciler.exists(code)  # else an earlier run died before write-back
    if fresh:
        reconciler.create(code, vendor, _first_company(ctx, vendor))
        suppliers[code] = supplier_body(cfg, code, vendor)
    written = vendor_numbers.write_back(ctx, vendor, code, why="new IFS supplier")
    # Both systems now hold what we wrote: reading either back is no change (no echo).
    versions.settle(code, ifs_view(cfg, supplier_body(cfg, code, written)), basware_view(cfg, code, written))
    return "numbered" if fresh else "written_back"


def _first_company(ctx: TenantContext, vendor: Mapping[str, Any]) -> str | None:
    for company in vendor.get("companies") or ():
        ifs_company = ctx.tenant.ifs_company(str(company.get("companyCode") or ""))
        if ifs_company:
            return ifs_company
    return None
