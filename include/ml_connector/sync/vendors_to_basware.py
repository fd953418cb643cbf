"""Vendor sync, IFS -> Basware: suppliers changed in IFS since the watermark are posted to Basware.

`POST /v1/vendors` creates or overwrites a whole VendorEntity (at most 200 a call), so an existing vendor
is sent as Basware holds it with only the synced fields replaced (name, default address country, VAT
identifier, default payment means currency); a new one gets the companies its IFS supplier is in. A vendor
posted through the API is API-managed: the post overwrites edits made in the Basware UI. So before each
post, a Basware-side change since the last sync is detected and recorded in the audit trail, and the
tenant's conflict policy applies (sync/vendor_conflicts.py).

Basware answers the POST before it processes the records; each record's fate comes later in
`requestStatus`. A record Basware refused is quarantined (record type `vendor_to_basware`) with Basware's
reason; the next run sends it again (its version was not kept), and a success resolves the entry.
"""

from __future__ import annotations

import copy
import logging
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from ml_connector.field_map import SuppliersMap
from ml_connector.http.errors import NotFoundError, RecordError
from ml_connector.state import AuditAction, SourceSystem
from ml_connector.sync.context import TenantContext
from ml_connector.sync.summary import task_summary
from ml_connector.sync.values import parse_timestamp
from ml_connector.sync.vendor_conflicts import (
    BASWARE,
    ENTITY,
    IFS,
    VendorVersions,
    View,
    basware_view,
    changes_between,
    hold,
    ifs_view,
    record_conflict,
    winner,
)

log = logging.getLogger(__name__)

STREAM = "vendors_ifs"  # watermark: the IFS modified date of the newest supplier read
RECORD_TYPE = "vendor_to_basware"
PER_CALL = 200  # Basware's limit for POST /v1/vendors
# IFS dates are whole seconds: the last second is read again (a supplier changed in it after the read);
# what was already synced matches its stored version and is not sent twice.
OVERLAP = timedelta(seconds=1)
CODE_MAX = 25  # VendorEntity.vendorCode
EXTERNAL_CODE_MAX = 36
NAME_MAX = 250
DIRECT_READS_MAX = 50  # a page of the vendor list holds 500: below this, one GET per vendor is cheaper


@dataclass
class Planned:
    """One vendor to post: the body, and the synced fields before (None: new in Basware) and after."""

    code: str
    body: dict[str, Any]
    ifs: View
    before: View | None
    after: View
    overwrites: bool = False  # a Basware change since the last sync is overwritten (recorded before)


def sync_ifs_to_basware(ctx: TenantContext, *, since: datetime | None = None, wait_timeout: float = 300.0,
                        sleep: Callable[[float], None] | None = None) -> dict[str, Any]:
    """One pass over the IFS suppliers changed since the watermark (or `since`), plus the ones Basware
    refused before; returns counts and the reasons of the refused."""
    names = ctx.ifs.fields.suppliers
    since = since or ctx.store.get_watermark(ctx.tenant_id, STREAM)
    rows, newest = _changed_suppliers(ctx, names, since)
    rows.update(_refused_before(ctx, names, set(rows)))
    versions = VendorVersions(ctx)
    # Basware's vendors are paged only when some supplier moved: an idle run costs one IFS read.
    moved = [c for c in sorted(rows) if versions.changed(c, IFS, ifs_view(names, rows[c])) is not False]
    in_basware = basware_vendors(ctx, moved)
    counts: Counter[str] = Counter(read=len(rows), unchanged=len(rows) - len(moved))
    plans: list[Planned] = []
    for code in moved:
        try:
            outcome = plan_one(ctx, versions, code, rows[code], in_basware.get(code))
        except RecordError as exc:
            counts["quarantined"] += 1
            ctx.store.quarantine(ctx.tenant_id, RECORD_TYPE, code, type(exc).__name__, str(exc),
                                 payload=rows[code], run_id=ctx.run_id)
            log.warning("Supplier %s not sent to Basware: %s", code, exc)
            continue
        if isinstance(outcome, Planned):
            plans.append(outcome)
        else:
            counts[outcome] += 1
    refused = post(ctx, plans, wait_timeout=wait_timeout, sleep=sleep)
    counts.update(settle_posted(ctx, versions, plans, refused))
    versions.flush()
    if newest is not None:  # refused ones are in the quarantine and sent again from there
        ctx.store.advance_watermark(ctx.tenant_id, STREAM, newest, run_id=ctx.run_id)
    totals = {k: counts[k] for k in _COUNTS}
    summary = {"run_id": ctx.run_id, "counts": totals, "refused": refused}
    log.info("%s", task_summary(ctx.tenant_id, ctx.run_id, "vendors IFS -> Basware", totals, tuple(totals),
                                [f"refused by Basware: {len(refused)}"]))
    return summary


_COUNTS = ("read", "created", "updated", "unchanged", "overwritten", "deferred", "held", "refused", "quarantined")


def _changed_suppliers(ctx: TenantContext, names: SuppliersMap,
                       since: datetime | None) -> tuple[dict[str, dict[str, Any]], datetime | None]:
    """Suppliers modified after `since` (all of them without a watermark, or when this IFS release has no
    modified column), and the newest modified date seen."""
    if names.modified and since is not None:
        found: Iterator[dict[str, Any]] = ctx.ifs.reads.iter_modified_since(
            names.projection, names.entity_set, names.modified, since - OVERLAP)
    else:
        found = ctx.ifs.reads.iter(names.projection, names.entity_set)
    rows: dict[str, dict[str, Any]] = {}
    newest: datetime | None = None
    for row in found:
        rows[str(row[names.supplier_id])] = row
        stamp = parse_timestamp(row.get(names.modified)) if names.modified else None
        if stamp is not None and (newest is None or stamp > newest):
            newest = stamp
    return rows, newest


def _refused_before(ctx: TenantContext, names: SuppliersMap, read: set[str]) -> dict[str, dict[str, Any]]:
    """The suppliers Basware refused in an earlier run, as IFS has them now."""
    rows: dict[str, dict[str, Any]] = {}
    for entry in ctx.store.list_open(ctx.tenant_id, RECORD_TYPE):
        if entry.record_id in read:
            continue
        try:
            rows[entry.record_id], _ = ctx.ifs.reads.get(names.projection, names.entity_set,
                                                         {names.supplier_id: entry.record_id})
        except NotFoundError:
            log.info("Supplier %s is gone from IFS: its refused post is dropped", entry.record_id)
            ctx.store.resolve(ctx.tenant_id, RECORD_TYPE, entry.record_id)
    return rows


def basware_vendors(ctx: TenantContext, codes: list[str]) -> dict[str, dict[str, Any]]:
    """The Basware vendors of these supplier numbers: a few are fetched one by one at externalCode = vendor
    code (how this sync creates them); many, or one not found there (Basware may file it under another
    externalCode), page the whole list once."""
    if not codes:
        return {}
    if len(codes) <= DIRECT_READS_MAX:
        found = {code: ctx.basware.vendors.get(code) for code in codes}
        if all(v is not None and str(v.get("vendorCode") or "").strip() == code for code, v in found.items()):
            return {code: v for code, v in found.items() if v is not None}
    vendors: dict[str, dict[str, Any]] = {}
    for vendor in ctx.basware.vendors.iter():
        code = str(vendor.get("vendorCode") or "").strip()
        if code:
            vendors.setdefault(code, vendor)
    return vendors


def plan_one(ctx: TenantContext, versions: VendorVersions, code: str, row: Mapping[str, Any],
             vendor: Mapping[str, Any] | None, *, resolving: bool = False) -> Planned | str:
    """What to do with one IFS supplier: a Planned post, or why nothing is posted. `resolving`: a person
    chose IFS's version of a held conflict, so it is posted whatever changed."""
    names = ctx.ifs.fields.suppliers
    if code in versions.held and not resolving:
        return "held"
    in_ifs = ifs_view(names, row)
    if versions.changed(code, IFS, in_ifs) is False and not resolving:
        return "unchanged"  # as the last sync left it: often our own update from Basware read back
    if vendor is None:
        body = new_vendor(ctx, code, row)
        return Planned(code, body, in_ifs, None, basware_view(names, code, body))
    seen = basware_view(names, code, vendor)
    body = vendor_body(names, code, vendor, row)
    after = basware_view(names, code, body)
    if after == seen:
        versions.settle(code, in_ifs, seen)
        return "unchanged"
    if not resolving and versions.changed(code, BASWARE, seen):  # the post would overwrite it
        kept = winner(ctx)
        if kept == BASWARE:
            return "deferred"  # the Basware -> IFS task updates IFS and records IFS's change
        if kept is None:
            hold(ctx, versions, code, in_ifs, seen, {IFS: dict(row), BASWARE: dict(vendor)})
            return "held"
        record_conflict(ctx, versions, code, in_ifs, seen, (BASWARE,))
        log.warning("Vendor %s: the Basware change of %s is overwritten by IFS (policy ifs_wins)", code,
                    ", ".join(changes_between(versions.last_synced(code, BASWARE), seen)))
        return Planned(code, body, in_ifs, seen, after, overwrites=True)
    return Planned(code, body, in_ifs, seen, after)


def new_vendor(ctx: TenantContext, code: str, row: Mapping[str, Any]) -> dict[str, Any]:
    """A VendorEntity for a supplier Basware does not have, in the Basware companies of its IFS companies."""
    names = ctx.ifs.fields.suppliers
    link = names.companies
    linked = {str(r.get(link.company)) for r in ctx.ifs.reads.iter(
        names.projection, names.entity_set, keys={names.supplier_id: code}, navigation=link.navigation)}
    companies = sorted(b for b, i in ctx.tenant.companies.items() if i in linked)
    if not companies:
        raise RecordError(f"IFS supplier {code} is in no IFS company this tenant maps to a Basware company "
                          f"(its companies: {', '.join(sorted(linked)) or 'none'}); Basware needs one",
                          record_id=code)
    if len(code) > EXTERNAL_CODE_MAX:
        raise RecordError(f"IFS supplier number {code!r} is longer than Basware's externalCode "
                          f"({EXTERNAL_CODE_MAX})", record_id=code)
    base = {"externalCode": code, "companies": [{"companyCode": c, "inheritToChildUnits": True}
                                                for c in companies]}
    return vendor_body(names, code, base, row)


def vendor_body(names: SuppliersMap, code: str, vendor: Mapping[str, Any], row: Mapping[str, Any]) -> dict[str, Any]:
    """`vendor` (as Basware holds it) with the synced fields of the IFS supplier `row`; POST overwrites the
    whole record, so everything else is sent back unchanged."""
    if len(code) > CODE_MAX:
        raise RecordError(f"IFS supplier number {code!r} is longer than Basware's vendorCode ({CODE_MAX})",
                          record_id=code)
    # lastUpdated is set by Basware and buvid is not to be posted (VendorEntity); nulls mean "not sent".
    body = {k: copy.deepcopy(v) for k, v in vendor.items() if k not in ("lastUpdated", "buvid") and v is not None}
    name = str(row.get(names.name) or code).strip()[:NAME_MAX]
    body.update(vendorCode=code, name=name)
    if names.country and row.get(names.country):
        _set_country(body, str(row[names.country]), code, name)
    if names.association_no and row.get(names.association_no):
        _set_vat(body, str(row[names.association_no]))
    if names.currency and row.get(names.currency):
        _set_currency(body, str(row[names.currency]))
    return body


def _set_country(body: dict[str, Any], country: str, code: str, name: str) -> None:
    addresses = [a for a in body.get("addresses") or () if isinstance(a, dict)]
    target = next((a for a in addresses if a.get("default")), addresses[0] if addresses else None)
    if target is None:
        target = {"externalCode": f"{code}-POSTAL"[:EXTERNAL_CODE_MAX], "name": name[:200],
                  "addressType": "PostalAddress", "default": True}
        body["addresses"] = [target]
    target["countryId"] = country


def _set_vat(body: dict[str, Any], vat: str) -> None:
    identifiers = [i for i in body.get("identifiers") or () if isinstance(i, dict)]
    target = next((i for i in identifiers if str(i.get("schemeId", "")).upper() == "VAT"), None)
    if target is None:
        target = {"schemeId": "VAT", "defaultPartyId": not identifiers}
        body["identifiers"] = [*identifiers, target]
    target["id"] = vat


def _set_currency(body: dict[str, Any], currency: str) -> None:
    """The currency of the default payment means; a vendor without payment means keeps none (a payment
    means needs its code, which IFS's supplier does not carry)."""
    means = [m for m in body.get("paymentMeans") or () if isinstance(m, dict)]
    priced = [m for m in means if m.get("currencyCode")]
    pool = priced or means
    target = next((m for m in pool if m.get("default")), pool[0] if pool else None)
    if target is not None:
        target["currencyCode"] = currency


def post(ctx: TenantContext, plans: list[Planned], *, wait_timeout: float = 300.0,
         sleep: Callable[[float], None] | None = None) -> dict[str, str]:
    """Post the planned vendors, at most 200 a call, and wait for Basware's verdicts; returns the reason
    of each vendor (by code) Basware refused or did not settle."""
    refused: dict[str, str] = {}
    by_request: dict[str, list[Planned]] = {}
    for start in range(0, len(plans), PER_CALL):
        chunk = plans[start:start + PER_CALL]
        result = ctx.basware.vendors.upsert([p.body for p in chunk])
        codes = {p.body["externalCode"]: p.code for p in chunk}
        for error in result.rejected:
            refused[codes.get(error.record_id or "", error.record_id or "?")] = str(error)
        for request_id in result.request_ids:
            by_request[request_id] = chunk
    waits: dict[str, Any] = {"timeout": wait_timeout, "poll_interval": 1.0}
    if sleep is not None:
        waits["sleep"] = sleep
    errored: list[str] = []
    for request_id, status in ctx.basware.request_status.wait(list(by_request), **waits).items():
        chunk = by_request[request_id]
        if status is None or not status.is_final:
            log.warning("Basware request %s has no final status: its vendors are sent again next run", request_id)
            refused.update({p.code: f"no final requestStatus for request {request_id}" for p in chunk})
            continue
        codes = {p.body["externalCode"]: p.code for p in chunk}
        for outcome in status.failed_records():
            reason = "; ".join(str(e.get("message") or e) for e in outcome.errors) or "refused by Basware"
            refused[codes.get(outcome.external_code or "", outcome.external_code or "?")] = reason
        if status.request_status == "Error":
            errored.append(request_id)
    ctx.basware.request_status.acknowledge_errors(errored)  # read and quarantined: not offered again
    return refused


def settle_posted(ctx: TenantContext, versions: VendorVersions, plans: list[Planned],
                  refused: Mapping[str, str]) -> Counter[str]:
    """Audit and keep the version of each vendor Basware took; quarantine the refused ones."""
    counts: Counter[str] = Counter()
    retried = {e.record_id for e in ctx.store.list_open(ctx.tenant_id, RECORD_TYPE)}
    for plan in plans:
        if plan.code in refused:
            counts["refused"] += 1
            ctx.store.quarantine(ctx.tenant_id, RECORD_TYPE, plan.code, "basware_rejected",
                                 f"Basware refused vendor {plan.code}: {refused[plan.code]}",
                                 payload=plan.body, run_id=ctx.run_id)
            log.warning("Basware refused vendor %s: %s", plan.code, refused[plan.code])
            continue
        action = AuditAction.CREATED if plan.before is None else AuditAction.UPDATED
        ctx.store.audit(ctx.tenant_id, ENTITY, plan.code, action, SourceSystem.IFS,
                        changes_between(plan.before or {}, plan.after), run_id=ctx.run_id)
        versions.settle(plan.code, plan.ifs, plan.after)
        counts[str(action)] += 1
        counts["overwritten"] += plan.overwrites
        if plan.code in retried:
            ctx.store.resolve(ctx.tenant_id, RECORD_TYPE, plan.code)
    return counts
