"""What both vendor directions share: the synced fields of a vendor in each system, the versions the last
sync left there, and the tenant's conflict policy.

A vendor's synced fields (name, country, VAT number, currency, in the tenant's IFS names) are compared,
never whole records. The version the last sync left in each system (what we wrote there, or found equal)
is kept in the state store: a read that matches it is no change, so our own writes are not read back as
changes and sent back (no echo). A vendor changed in both systems since the last sync is a conflict,
settled by `vendors.conflict_policy`: `ifs_wins`, `basware_wins`, or `hold` (quarantined with both
versions, neither system written, until a person resolves it).
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Mapping
from typing import Any

from ml_connector.field_map import SuppliersMap
from ml_connector.state import AuditAction, SourceSystem
from ml_connector.sync.context import TenantContext
from ml_connector.sync.invoice_suppliers import supplier_body

log = logging.getLogger(__name__)

IFS = "ifs"
BASWARE = "basware"
HELD = "vendor_conflict"  # quarantine record type of a conflict held for a person
ENTITY = "vendor"
View = dict[str, Any]


def synced_fields(names: SuppliersMap) -> tuple[str, ...]:
    return tuple(n for n in (names.name, names.country, names.association_no, names.currency) if n)


def ifs_view(names: SuppliersMap, row: Mapping[str, Any]) -> View:
    """The synced fields of an IFS supplier row."""
    return {n: row[n] for n in synced_fields(names) if row.get(n) not in (None, "")}


def basware_view(names: SuppliersMap, code: str, vendor: Mapping[str, Any]) -> View:
    """The synced fields of a Basware VendorEntity, as the IFS supplier they would make."""
    body = supplier_body(names, code, vendor)
    return {n: body[n] for n in synced_fields(names) if n in body}


def view_hash(view: Mapping[str, Any]) -> str:
    return hashlib.sha256(json.dumps(dict(view), sort_keys=True, default=str).encode()).hexdigest()


def field_changes(desired: Mapping[str, Any], current: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """{field: {"before", "after"}} for every field of `desired` whose value differs from `current`."""
    return {name: {"before": current.get(name), "after": value}
            for name, value in desired.items() if current.get(name) != value}


def changes_between(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Every field that differs, either way (a field one side lacks included)."""
    return {name: {"before": before.get(name), "after": after.get(name)}
            for name in sorted(set(before) | set(after)) if before.get(name) != after.get(name)}


class VendorVersions:
    """The versions the last sync left in each system, read once per run; what the run settles is kept
    here at once (later checks of the same run see it) and written to the store by `flush`."""

    def __init__(self, ctx: TenantContext) -> None:
        self._ctx = ctx
        self._stored = {key: (v.content_hash, v.content) for key, v in ctx.store.vendor_versions(ctx.tenant_id).items()}
        self._pending: dict[tuple[str, str], tuple[str, View]] = {}
        self.held = {e.record_id for e in ctx.store.list_open(ctx.tenant_id, HELD)}

    def changed(self, code: str, system: str, view: Mapping[str, Any]) -> bool | None:
        """Whether `view` differs from what the last sync left in `system`; None if never synced."""
        stored = self._stored.get((code, system))
        return None if stored is None else stored[0] != view_hash(view)

    def last_synced(self, code: str, system: str) -> View:
        stored = self._stored.get((code, system))
        return dict(stored[1]) if stored else {}

    def settle(self, code: str, ifs: Mapping[str, Any], basware: Mapping[str, Any]) -> None:
        """Both systems now hold these synced fields: they are the new baseline of each."""
        for system, view in ((IFS, ifs), (BASWARE, basware)):
            entry = (view_hash(view), dict(view))
            if self._stored.get((code, system), (None,))[0] != entry[0]:
                self._pending[(code, system)] = entry
            self._stored[(code, system)] = entry

    def flush(self) -> None:
        if self._pending:
            self._ctx.store.record_vendor_versions(self._ctx.tenant_id, self._pending, run_id=self._ctx.run_id)
            self._pending = {}


def winner(ctx: TenantContext) -> str | None:
    """The system whose version a conflict keeps; None when the tenant holds conflicts for a person."""
    return {"ifs_wins": IFS, "basware_wins": BASWARE}.get(ctx.tenant.vendors.conflict_policy)


def record_conflict(ctx: TenantContext, versions: VendorVersions, code: str, ifs: View, basware: View,
                    losers: tuple[str, ...]) -> None:
    """One audit entry per system in `losers`: its change since the last sync, which a conflict sets aside
    (overwritten by the winner, or held)."""
    for system, view in ((IFS, ifs), (BASWARE, basware)):
        if system in losers:
            ctx.store.audit(ctx.tenant_id, ENTITY, code, AuditAction.CONFLICT, SourceSystem(system),
                            changes_between(versions.last_synced(code, system), view), run_id=ctx.run_id)


def hold(ctx: TenantContext, versions: VendorVersions, code: str, ifs: View, basware: View,
         records: Mapping[str, Any]) -> None:
    """Quarantine a conflict with both versions; neither system is written until a person resolves it."""
    record_conflict(ctx, versions, code, ifs, basware, (IFS, BASWARE))
    diff = changes_between(ifs, basware)
    shown = "; ".join(f"{name}: IFS {c['before']!r} / Basware {c['after']!r}" for name, c in diff.items())
    reason = (f"vendor {code} changed in both IFS and Basware since the last sync ({shown}); policy hold: "
              "resolve it with the vendor DAG's resolve_vendor and winner params")
    payload = {"ifs": ifs, "basware": basware, "last_synced": {IFS: versions.last_synced(code, IFS),
                                                               BASWARE: versions.last_synced(code, BASWARE)},
               "records": dict(records)}
    ctx.store.quarantine(ctx.tenant_id, HELD, code, "conflict", reason, payload=payload, run_id=ctx.run_id)
    versions.held.add(code)
    log.warning("Vendor %s held: %s", code, shown)
