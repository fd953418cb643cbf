"""No duplicate suppliers: before a supplier is created, IFS is asked for likely twins, and a vendor that
has one is held for a person instead of becoming a second record.

Likely twins (sync/vendor_identity.py): a supplier whose association number is one of the vendor's
identifiers (VAT, registration, DUNS...), or one in the same country whose name normalises to the same
key. One IFS query per supplier to create, filtered on those fields (`AssociationNo eq ...` or-ed with
`Country eq ... and contains(tolower(Name), <longest word>)`); never a read of every supplier.

A held vendor is a quarantine entry of record type `vendor_duplicate`, keyed by the Basware vendor's
externalCode, whose payload carries the candidates, why each matches, and later a person's decision:
`create` (a different business: create it anyway) or `link` (it is supplier X: Basware's vendor code
becomes X). `ml-connector vendors duplicates` lists them; `ml-connector vendors decide` records a
decision and replays the vendor; the vendor DAG replays decided holds on its next run too.
"""

from __future__ import annotations

import getpass
import logging
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from ml_connector.field_map import SuppliersMap
from ml_connector.ifs.client import IfsClient
from ml_connector.ifs.odata import F, Query, or_
from ml_connector.state import QuarantineEntry, StateStore
from ml_connector.sync.errors import DuplicateSupplier, Reason
from ml_connector.sync.vendor_identity import (
    compact_id,
    identifier_forms,
    name_key,
    search_word,
    vendor_country,
    vendor_identifiers,
)

log = logging.getLogger(__name__)

RECORD_TYPE = "vendor_duplicate"
CREATE, LINK = "create", "link"
MAX_ROWS = 50  # a name word matching more suppliers than this is too common to tell anything


@dataclass(frozen=True)
class Candidate:
    supplier_id: str
    name: str | None
    country: str | None
    association_no: str | None
    matched_on: tuple[str, ...]  # "identifier", "name_country"
    why: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "matched_on": list(self.matched_on), "why": list(self.why)}


def find_candidates(ifs: IfsClient, vendor: Mapping[str, Any], exclude: str | None = None) -> list[Candidate]:
    """IFS suppliers that are likely the same business as `vendor` (one filtered query)."""
    cfg = ifs.fields.suppliers
    name = str(vendor.get("name") or "")
    country = vendor_country(vendor)
    ids = vendor_identifiers(vendor)
    forms = {form: pair for pair in ids for form in identifier_forms(pair[1], country)}
    parts = []
    if cfg.association_no and forms:
        parts.append(F(cfg.association_no).any_of(sorted(forms.keys() | {value for _, value in ids})))
    word = search_word(name)
    if cfg.country and country and word and name_key(name):
        parts.append(F(cfg.country).eq(country) & F(cfg.name).contains_lower(word))
    if not parts:
        return []
    select = tuple(n for n in (cfg.supplier_id, cfg.name, cfg.country, cfg.association_no) if n)
    query = Query(filter=or_(*parts), select=select, orderby=(cfg.supplier_id,), top=MAX_ROWS)
    found = []
    for row in ifs.reads.iter(cfg.projection, cfg.entity_set, query):
        candidate = _judge(cfg, row, name, country, forms)
        if candidate is not None and candidate.supplier_id != exclude:
            found.append(candidate)
    return found


def _judge(cfg: SuppliersMap, row: Mapping[str, Any], name: str, country: str | None,
           forms: Mapping[str, tuple[str, str]]) -> Candidate | None:
    """Why this IFS row matches the vendor, re-checked here (IFS's filter is only a pre-selection)."""
    their_name = _text(row, cfg.name)
    their_country = _text(row, cfg.country)
    their_no = _text(row, cfg.association_no)
    matched_on, why = [], []
    if their_no:
        hit = next((forms[f] for f in sorted(identifier_forms(their_no, their_country)) if f in forms), None)
        hit = hit or forms.get(compact_id(their_no))
        if hit:
            matched_on.append("identifier")
            why.append(f"{cfg.association_no} {their_no!r} = Basware {hit[0]} identifier {hit[1]!r}")
    if country and their_country == country and their_name and name_key(their_name) == name_key(name):
        matched_on.append("name_country")
        why.append(f"{cfg.name} {their_name!r} = {name!r} once normalised (key {name_key(name)!r}), "
                   f"{cfg.country} {country}")
    if not matched_on:
        return None
    return Candidate(str(row[cfg.supplier_id]), their_name, their_country, their_no, tuple(matched_on), tuple(why))


def _text(row: Mapping[str, Any], field: str | None) -> str | None:
    value = row.get(field) if field else None
    return str(value) if value not in (None, "") else None


def hold_key(vendor: Mapping[str, Any], supplier_id: str) -> str:
    """Basware's externalCode: stable while the vendor code changes (write-back, link)."""
    return str(vendor.get("externalCode") or supplier_id).strip()


def decision_of(entry: QuarantineEntry | None) -> dict[str, Any] | None:
    payload = entry.payload if entry is not None and isinstance(entry.payload, Mapping) else {}
    decision = payload.get("decision")
    return dict(decision) if isinstance(decision, Mapping) else None


class DuplicateGuard:
    """Run by `SupplierReconciler` before every supplier it creates (vendor sync and invoice flow)."""

    def __init__(self, ifs: IfsClient, store: StateStore, tenant_id: str, run_id: str | None) -> None:
        self._ifs = ifs
        self._store = store
        self._tenant_id = tenant_id
        self._run_id = run_id
        self._held: dict[str, str] = {}  # held in this run: the next invoice of the vendor asks IFS no more

    def before_create(self, supplier_id: str, vendor: Mapping[str, Any]) -> None:
        """Return to go ahead; DuplicateSupplier when the vendor is (or was just) held for a person."""
        key = hold_key(vendor, supplier_id)
        if key in self._held:
            raise DuplicateSupplier(self._held[key], record_id=key)
        decision = decision_of(self._store.get_quarantined(self._tenant_id, RECORD_TYPE, key))
        if decision and decision.get("action") == CREATE:
            return
        if decision and decision.get("action") == LINK:
            raise DuplicateSupplier(f"Basware vendor {key} was linked to IFS supplier {decision['supplier_id']} "
                                    f"by {decision.get('by')}: it is not created as {supplier_id}; use "
                                    f"{decision['supplier_id']}", record_id=key)
        candidates = find_candidates(self._ifs, vendor, exclude=supplier_id)
        if not candidates:
            return
        reason = (f"Basware vendor {key} ({vendor.get('name')!r}) looks like IFS supplier(s) "
                  + "; ".join(f"{c.supplier_id} ({', '.join(c.matched_on)})" for c in candidates)
                  + f": not created as {supplier_id}; held for a person (ml-connector vendors decide)")
        payload = {"external_code": key, "vendor_code": vendor.get("vendorCode"), "supplier_id": supplier_id,
                   "name": vendor.get("name"), "country": vendor_country(vendor),
                   "identifiers": [list(i) for i in vendor_identifiers(vendor)],
                   "candidates": [c.to_json() for c in candidates], "decision": None, "vendor": dict(vendor)}
        self._store.quarantine(self._tenant_id, RECORD_TYPE, key, Reason.DUPLICATE_SUPPLIER, reason, payload,
                               run_id=self._run_id)
        log.warning("Held vendor %s: %s", key, reason)
        self._held[key] = reason
        raise DuplicateSupplier(reason, record_id=key)

    def after_create(self, supplier_id: str, vendor: Mapping[str, Any]) -> None:
        """A held vendor created by a person's `create` decision leaves the hold."""
        self._store.resolve(self._tenant_id, RECORD_TYPE, hold_key(vendor, supplier_id))


# -- holds: listing, deciding, replaying --------------------------------------------------------------
def list_holds(store: StateStore, tenant_id: str) -> list[dict[str, Any]]:
    """Open holds, oldest first, for `ml-connector vendors duplicates`."""
    out = []
    for entry in store.list_open(tenant_id, RECORD_TYPE):
        payload = entry.payload if isinstance(entry.payload, Mapping) else {}
        out.append({"vendor": entry.record_id, "vendor_code": payload.get("vendor_code"),
                    "supplier_id": payload.get("supplier_id"), "name": payload.get("name"),
                    "country": payload.get("country"), "identifiers": payload.get("identifiers") or [],
                    "candidates": payload.get("candidates") or [], "decision": payload.get("decision"),
                    "first_seen": entry.first_seen.isoformat(), "last_seen": entry.last_seen.isoformat(),
                    "occurrences": entry.occurrences, "run_id": entry.run_id})
    return out


def find_hold(store: StateStore, tenant_id: str, vendor: str) -> QuarantineEntry | None:
    """The open hold of a vendor named by its externalCode, its vendor code or the supplier number it
    would have been created as."""
    for entry in store.list_open(tenant_id, RECORD_TYPE):
        payload = entry.payload if isinstance(entry.payload, Mapping) else {}
        if vendor in (entry.record_id, payload.get("vendor_code"), payload.get("supplier_id")):
            return entry
    return None


def record_decision(store: StateStore, entry: QuarantineEntry, action: str, supplier_id: str | None = None,
                    *, by: str | None = None) -> dict[str, Any]:
    if action not in (CREATE, LINK) or (action == LINK) != bool(supplier_id):
        raise ValueError("a decision is 'create', or 'link' with the IFS supplier to link to")
    decision = {"action": action, "supplier_id": supplier_id, "by": by or _user(),
                "at": datetime.now(UTC).isoformat(timespec="seconds")}
    payload = dict(entry.payload) if isinstance(entry.payload, Mapping) else {}
    store.set_payload(entry.tenant_id, RECORD_TYPE, entry.record_id, {**payload, "decision": decision})
    log.info("Vendor %s: decision %s %s by %s", entry.record_id, action, supplier_id or "", decision["by"])
    return decision


def linked_supplier(store: StateStore, tenant_id: str, vendor: Mapping[str, Any]) -> str | None:
    """The supplier a person linked this held vendor to, while that is still to be carried out."""
    entry = store.get_quarantined(tenant_id, RECORD_TYPE, hold_key(vendor, ""))
    decision = decision_of(entry) if entry is not None and entry.resolved_at is None else None
    return str(decision["supplier_id"]) if decision and decision.get("action") == LINK else None


def decided_keys(store: StateStore, tenant_id: str) -> list[str]:
    """Open holds with a decision: the vendor DAG replays them."""
    return [e.record_id for e in store.list_open(tenant_id, RECORD_TYPE) if decision_of(e)]


def resolve_hold(store: StateStore, tenant_id: str, vendor: Mapping[str, Any]) -> None:
    store.resolve(tenant_id, RECORD_TYPE, hold_key(vendor, ""))


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name in a container without a passwd entry
        return "unknown"

