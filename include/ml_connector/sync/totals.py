"""Control totals per run and company: what Basware sent against what IFS holds.

Basware side: the ledger's amounts (the document headers as extracted) of the invoices this run
reported as transferred. IFS side: those proposals read back by their external reference. Any
difference in count, net, tax or gross, a proposal missing, or one not balanced, is a mismatch.
Where the tenant's IFS has no gross amount property, gross is net + tax as IFS holds them.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from ml_connector.ifs.client import IfsClient
from ml_connector.ifs.many import Read
from ml_connector.ifs.odata import F, Query
from ml_connector.state import StateStore, Status
from ml_connector.state.engine import READ_ONLY
from ml_connector.state.models import ledger
from ml_connector.sync.values import decimal_or_none

REFS_PER_QUERY = 40
ZERO = Decimal(0)
Key = tuple[str, str]  # (IFS company, currency)


@dataclass
class Figures:
    count: int = 0
    net: Decimal = ZERO
    tax: Decimal = ZERO
    gross: Decimal = ZERO

    def add(self, net: Any, tax: Any, gross: Any) -> None:
        self.count += 1
        self.net += decimal_or_none(net) or ZERO
        self.tax += decimal_or_none(tax) or ZERO
        self.gross += decimal_or_none(gross) or ZERO

    def same_as(self, other: Figures) -> bool:
        return (self.count, self.net, self.tax, self.gross) == (other.count, other.net, other.tax, other.gross)

    def as_dict(self) -> dict[str, Any]:
        return {"count": self.count, "net": str(self.net), "tax": str(self.tax), "gross": str(self.gross)}

    def describe(self) -> str:
        return f"{self.count} invoice(s), net {self.net}, tax {self.tax}, gross {self.gross}"


def reported_in_run(store: StateStore, tenant_id: str, run_id: str) -> dict[Key, list[str]]:
    """Invoice ids this run reported as transferred, by (IFS company, currency)."""
    c = ledger.c
    stmt = select(c.ifs_company, c.currency, c.invoice_id).where(
        c.tenant_id == tenant_id, c.run_id == run_id, c.status == Status.REPORTED)
    with store.engine.connect() as conn:
        rows = conn.execution_options(**{READ_ONLY: True}).execute(stmt).all()
    out: dict[Key, list[str]] = defaultdict(list)
    for company, currency, invoice_id in rows:
        out[(company or "", currency or "")].append(invoice_id)
    return out


def read_back(ifs: IfsClient, refs: dict[Key, list[str]], *, use_batch: bool = True,
              ) -> dict[Key, list[dict[str, Any]]]:
    """The proposals of each key's refs: queries of REFS_PER_QUERY refs of one company, all of them
    sent together as GETs of one $batch (`use_batch`)."""
    cfg = ifs.fields.posting_proposals
    select_ = tuple(n for n in (cfg.company, cfg.invoice_id, cfg.external_ref, cfg.currency, cfg.net, cfg.vat,
                                cfg.gross, cfg.state) if n)
    owners, reads = [], []
    for key, ids in refs.items():
        for start in range(0, len(ids), REFS_PER_QUERY):
            owners.append(key)
            reads.append(Read(cfg.entity_set, Query(filter=F(cfg.company).eq(key[0]) & F(cfg.external_ref).any_of(
                ids[start:start + REFS_PER_QUERY]), select=select_)))
    found: dict[Key, list[dict[str, Any]]] = {key: [] for key in refs}
    for key, rows in zip(owners, ifs.read_all(cfg.projection, reads, use_batch=use_batch), strict=True):
        found[key].extend(rows)
    return found


def control_totals(ifs: IfsClient, store: StateStore, tenant_id: str, run_id: str, *,
                   use_batch: bool = True) -> list[dict[str, Any]]:
    cfg = ifs.fields.posting_proposals
    sent: dict[Key, Figures] = {}
    for t in store.control_totals(tenant_id, run_id=run_id, statuses=[Status.REPORTED]):
        sent[(t.company or "", t.currency or "")] = Figures(t.count, t.net, t.tax, t.gross)
    held: dict[Key, Figures] = defaultdict(Figures)
    missing: dict[Key, int] = defaultdict(int)
    unbalanced: dict[Key, int] = defaultdict(int)
    reported = reported_in_run(store, tenant_id, run_id)
    for (company, currency), found in read_back(ifs, reported, use_batch=use_batch).items():
        ids = reported[(company, currency)]
        missing[(company, currency)] += len(set(ids) - {str(p.get(cfg.external_ref)) for p in found})
        for p in found:
            key = (company, str(p.get(cfg.currency) or ""))
            net, tax = p.get(cfg.net), p.get(cfg.vat)
            gross = p.get(cfg.gross) if cfg.gross else (decimal_or_none(net) or ZERO) + (decimal_or_none(tax) or ZERO)
            held[key].add(net, tax, gross)
            if cfg.state and p.get(cfg.state) not in (None, cfg.balanced_state):
                unbalanced[key] += 1
    out = []
    for key in sorted(set(sent) | set(held)):
        s, h = sent.get(key, Figures()), held.get(key, Figures())
        out.append({"company": key[0], "currency": key[1], "basware": s.as_dict(), "ifs": h.as_dict(),
                    "missing_in_ifs": missing[key], "not_balanced": unbalanced[key],
                    "match": s.same_as(h) and not missing[key] and not unbalanced[key]})
    return out


def describe_mismatch(tenant_id: str, run_id: str, rows: list[dict[str, Any]]) -> str:
    parts = []
    for r in rows:
        s, h = Figures(**_decimals(r["basware"])), Figures(**_decimals(r["ifs"]))
        parts.append(f"IFS company {r['company']} ({r['currency']}): Basware sent {s.describe()}; "
                     f"IFS holds {h.describe()}; {r['missing_in_ifs']} missing in IFS, "
                     f"{r['not_balanced']} not balanced")
    return f"control totals differ for tenant {tenant_id}, run {run_id}: " + " | ".join(parts)


def _decimals(d: dict[str, Any]) -> dict[str, Any]:
    return {"count": d["count"], **{k: Decimal(d[k]) for k in ("net", "tax", "gross")}}
