"""The soak's invariants, checked against what the simulators and the state store hold at the end.

Each breach names the invoice ids it concerns, so a failed soak says which invoices to look at.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from ml_connector.state import StateStore
from mlc_sandbox.runner import Sandbox

FINAL_BASWARE = ("Transferred", "TransferFailed")
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
    token_requests: dict[str, int] = field(default_factory=dict)
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


def check_tenant(tenant: str, sandbox: Sandbox, store_url: str) -> TenantFigures:
    """Every invariant of one tenant (one sandbox of its own)."""
    figures = TenantFigures(tenant)
    approved = _approved_ids(sandbox)
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
    figures.token_requests = token_requests(sandbox)
    return figures


def token_requests(sandbox: Sandbox) -> dict[str, int]:
    """Token requests each simulator answered. The invariant "≤ 1 per token lifetime" is a hook: each
    Airflow task is its own process and today fetches its own token, so the soak reports the figure and
    only checks it when a token cache shared by tasks exists (`TOKEN_BUDGET_CHECKED`)."""
    out: dict[str, int] = {}
    for system, sim in (("basware", sandbox.basware), ("ifs", sandbox.ifs)):
        log = getattr(sim.ctx, "log", None)
        entries = log.entries() if log is not None else []
        out[system] = sum(1 for e in entries if "token" in str(e.get("path", "")))
    return out


# Vendor sync does not exist yet: when it does, its audit invariant (every vendor change has an audit
# entry) goes here and into check_tenant.
TOKEN_BUDGET_CHECKED = False
