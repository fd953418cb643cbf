"""A person resolves a vendor conflict held by the `hold` policy: IFS's version, Basware's, or (no winner)
whatever both systems hold now if someone already made them agree by hand.

The winner's synced fields are written to the other system through the normal paths (POST /v1/vendors
with its requestStatus, or the IFS ETag update), audited as a change by the winning system, and become the
new version of both; the quarantine entry is resolved. A refused post leaves the conflict held.
"""

from __future__ import annotations

import logging
from typing import Any

from ml_connector.http.errors import NotFoundError
from ml_connector.state import AuditAction, SourceSystem
from ml_connector.sync.context import TenantContext
from ml_connector.sync.invoice_suppliers import supplier_body
from ml_connector.sync.vendor_conflicts import (
    BASWARE,
    ENTITY,
    HELD,
    IFS,
    VendorVersions,
    basware_view,
    field_changes,
    ifs_view,
)
from ml_connector.sync.vendors_to_basware import Planned, basware_vendors, plan_one, post, settle_posted

log = logging.getLogger(__name__)
WINNERS = (IFS, BASWARE)


def resolve_held(ctx: TenantContext, code: str, winner: str | None, **post_kw: Any) -> dict[str, str]:
    """Resolve one held conflict; returns {"vendor", "outcome", "message"}."""
    if winner is not None and winner not in WINNERS:
        raise ValueError(f"winner must be one of {', '.join(WINNERS)} or none, not {winner!r}")
    entry = ctx.store.get_quarantined(ctx.tenant_id, HELD, code)
    if entry is None or entry.resolved_at is not None:
        return _result(code, "not_held", "no open conflict for this vendor")
    ctx.store.mark_replayed(ctx.tenant_id, HELD, code)
    names = ctx.ifs.fields.suppliers
    try:
        row, _ = ctx.ifs.reads.get(names.projection, names.entity_set, {names.supplier_id: code})
    except NotFoundError:
        return _result(code, "not_in_ifs", "IFS no longer has this supplier")
    vendor = basware_vendors(ctx, [code]).get(code)
    if vendor is None:
        return _result(code, "not_in_basware", "Basware no longer has this vendor")
    versions = VendorVersions(ctx)
    in_ifs, in_basware = ifs_view(names, row), basware_view(names, code, vendor)
    if winner == IFS:
        plan = plan_one(ctx, versions, code, row, vendor, resolving=True)
        if isinstance(plan, Planned):
            refused = post(ctx, [plan], **post_kw)
            settle_posted(ctx, versions, [plan], refused)
            if refused:
                versions.flush()
                return _result(code, "refused", f"Basware refused IFS's version: {refused[code]}")
        else:
            versions.settle(code, in_ifs, in_basware)
    elif winner == BASWARE:
        desired = supplier_body(names, code, vendor)
        changes = field_changes(desired, row)
        if changes:
            ctx.ifs.writes.update(names.projection, names.entity_set, {names.supplier_id: code},
                                  {name: change["after"] for name, change in changes.items()})
            ctx.store.audit(ctx.tenant_id, ENTITY, code, AuditAction.UPDATED, SourceSystem.BASWARE, changes,
                            run_id=ctx.run_id)
        versions.settle(code, ifs_view(names, {**row, **desired}), in_basware)
    elif field_changes(in_basware, in_ifs):
        return _result(code, "still_in_conflict", "IFS and Basware still differ: name a winner")
    else:
        versions.settle(code, in_ifs, in_basware)
    versions.flush()
    ctx.store.resolve(ctx.tenant_id, HELD, code)
    log.info("Held vendor %s resolved (%s)", code, winner or "both systems agree")
    return _result(code, "resolved", f"{winner or 'both systems agree'}: both systems now hold the same vendor")


def _result(code: str, outcome: str, message: str) -> dict[str, str]:
    return {"vendor": code, "outcome": outcome, "message": message}
