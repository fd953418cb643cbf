"""The soak's invariants, checked against what the simulators and the state store hold at the end.

Each breach names the invoice ids it concerns, so a failed soak says which invoices to look at.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from ml_connector.state import StateStore
from mlc_sandbox.runner import Sandbox
from mlc_sandbox.token_ledger import TokenLife

FINAL_BASWARE = ("Transferred", "TransferFailed")
TOKEN_BUDGET = "more than one token per tenant and system at a time"
INVOICE_RECORD = "invoice"


@dataclass
class Breach:
    invariant: str
    invoice_ids: list[str]
    detail: str = ""

    def __str__(self) -> str:
        ids = ", ".join(self.invoice_ids[:20]) + (" ..." if len(self.invoice_ids) > 20 else "")
        return f"BREACH {self.invariant}: {ids} {self.detail}".rstrip()


@dataclass
class TenantFigures:
    tenant: str
    invoices: int = 0
    proposals: int = 0
    quarantined: int = 0
    tokens_used: dict[str, int] = field(default_factory=dict)
    vendor_changes: int = 0
    breaches: list[Breach] = field(default_factory=list)


def _approved_ids(sandbox: Sandbox) -> list[str]:
    return [sandbox.dataset.invoice_id(i) for i in range(sandbox.options.invoices)]


def _quarantine_reasons(store_url: str, tenant: str) -> dict[str, str]:
    store = StateStore(store_url)
    try:
        store.migrate()
        return {q.record_id: q.reason_code for q in store.list_open(tenant, INVOICE_RECORD) if q.reason_code}
    finally:
        store.dispose()


def _control_totals(sandbox: Sandbox, proposals: list[dict[str, Any]], valid: set[str]) -> Breach | None:
    """Per IFS company: the net of the proposals equals the net of the Basware invoices they came from."""
    names = sandbox.ifs.names
    ifs_side: Counter[str] = Counter()
    for p in proposals:
        ifs_side[p["Company"]] += Decimal(str(p[names.net]))  # type: ignore[assignment]
    basware_side: Counter[str] = Counter()
    for invoice_id in valid:
        doc = sandbox.basware.ctx.documents.render(invoice_id)
        company = sandbox.dataset.company_by_basware_code(doc["companyCode"])
        if company is not None:
            basware_side[company.ifs_company] += Decimal(str(doc["netSum"]))  # type: ignore[assignment]
    off = sorted(c for c in set(ifs_side) | set(basware_side) if ifs_side[c] != basware_side[c])
    if not off:
        return None
    return Breach("control totals per company", off,
                  "; ".join(f"{c}: IFS {ifs_side[c]} vs Basware {basware_side[c]}" for c in off))


VENDOR_AUDIT = "vendor change in IFS without an audit entry"
SUPPLIER_LU = "SupplierInfoGeneral"


def vendor_changes(sandbox: Sandbox) -> dict[str, set[str]]:
    """Supplier ids the connector created or updated in IFS, by kind ("created"/"updated"), from the IFS
    history log (another user's saves, the concurrent-writer fault, are not the connector's)."""
    db, user = sandbox.ifs.ctx.db, sandbox.ifs.settings.service_user
    out: dict[str, set[str]] = {"created": set(), "updated": set()}
    with db.lock:
        rows = [r.values for r in db.store("HistoryLogOverviewSet").rows.values()]
    for row in rows:
        if row["LuName"] == SUPPLIER_LU and row["Username"] == user and row["HistoryType"] in ("Insert", "Update"):
            key = str(row["Keys"]).removeprefix("SUPPLIER_ID=").removesuffix("^")
            out["created" if row["HistoryType"] == "Insert" else "updated"].add(key)
    return out


def vendor_audit(tenant: str, sandbox: Sandbox, store_url: str) -> Breach | None:
    """Every supplier the connector created or updated in IFS has an audit entry of that kind."""
    store = StateStore(store_url)
    try:
        store.migrate()
        audited: dict[str, set[str]] = {}
        for entry in store.audit_entries(tenant, "vendor"):
            audited.setdefault(entry.action, set()).add(entry.entity_key)
    finally:
        store.dispose()
    missing = sorted(f"{kind}:{key}" for kind, keys in vendor_changes(sandbox).items()
                     for key in keys - audited.get(kind, set()))
    return Breach(VENDOR_AUDIT, missing) if missing else None


def check_tenant(tenant: str, sandbox: Sandbox, store_url: str, approved: list[str] | None = None) -> TenantFigures:
    """Every invariant of one tenant (one sandbox of its own). `approved`: every invoice approved in
    Basware (default: the seed's)."""
    figures = TenantFigures(tenant)
    approved = list(approved) if approved is not None else _approved_ids(sandbox)
    figures.invoices = len(approved)
    counts = sandbox.ifs.proposal_counts()
    quarantined = _quarantine_reasons(store_url, tenant)
    figures.proposals, figures.quarantined = sum(counts.values()), len(quarantined)
    outcome = {i: counts.get(i, 0) + (1 if i in quarantined else 0) for i in approved}
    missing = sorted(i for i, n in outcome.items() if n == 0)
    doubled = sorted(i for i, n in outcome.items() if n > 1)
    if missing:
        figures.breaches.append(Breach("approved invoice is neither a proposal nor quarantined", missing))
    if doubled:
        figures.breaches.append(Breach("approved invoice has more than one proposal/quarantine entry", doubled))
    orphans = sorted(set(counts) - set(approved))
    if orphans:
        figures.breaches.append(Breach("proposal without its Basware invoice", orphans))
    statuses = {i: sandbox.basware.document_status(i) for i in approved}
    open_docs = sorted(i for i, s in statuses.items() if s not in FINAL_BASWARE)
    if open_docs:
        figures.breaches.append(Breach("Basware invoice not Transferred/TransferFailed", open_docs,
                                       str(Counter(statuses[i] for i in open_docs))))
    wrong_fail = sorted(i for i in approved if (statuses[i] == "TransferFailed") != (i in quarantined))
    if wrong_fail:
        figures.breaches.append(Breach("TransferFailed in Basware iff quarantined with a reason", wrong_fail))
    valid = {i for i in approved if i not in quarantined}
    totals = _control_totals(sandbox, sandbox.ifs.proposals(), valid)
    if totals:
        figures.breaches.append(totals)
    audit_breach = vendor_audit(tenant, sandbox, store_url)
    if audit_breach:
        figures.breaches.append(audit_breach)
    figures.vendor_changes = sum(len(v) for v in vendor_changes(sandbox).values())
    lives = token_lives(sandbox)
    figures.tokens_used = {system: sum(1 for t in ts if t.uses) for system, ts in lives.items()}
    figures.breaches.extend(b for system, ts in lives.items() if (b := token_budget(tenant, system, ts)))
    return figures


def token_lives(sandbox: Sandbox) -> dict[str, list[TokenLife]]:
    return {"basware": sandbox.basware.ctx.tokens.ledger.lives(), "ifs": sandbox.ifs.tokens.ledger.lives()}


def renew_interval(lifetime: float) -> float:
    """The shortest time between two tokens a client asks for on schedule: it renews ahead of expiry, a
    tenth of the lifetime and at least 10 s early, but never more than half the lifetime early."""
    return lifetime - min(max(10.0, 0.1 * lifetime), lifetime / 2)


def token_budget(tenant: str, system: str, lives: list[TokenLife]) -> Breach | None:
    """One token per tenant and system at a time, however many task processes use it: the first, one
    renewal per renew interval over the span the tokens were issued in, and one replacement for each token
    revoked or refused. Tokens never presented (their answer was lost) are not counted."""
    used = [t for t in lives if t.uses]
    if not used:
        return None
    replaced = sum(1 for t in used if t.ended is not None)
    lifetime = min(t.lifetime for t in used)
    span = used[-1].issued - used[0].issued
    allowed = 1 + replaced + math.floor(span / renew_interval(lifetime))
    if len(used) <= allowed:
        return None
    return Breach(TOKEN_BUDGET, [f"{tenant}/{system}"],
                  f"{len(used)} tokens used, at most {allowed} allowed (issued over {span:.0f} s, {replaced} "
                  f"revoked or refused, lifetime {lifetime:.0f} s, renewed every {renew_interval(lifetime):.0f} s)")
