"""Mapping gaps: Basware codes that would not land on a valid IFS value, per IFS company.

Read from the coding rows of the invoices waiting for transfer and from the generic lists the tenant
fills from IFS. Each gap names the invoices it blocks. Where the tenant allows it
(`master_data.create_missing_in_ifs`), a code missing in IFS is created there; the next master-data
run then sends it to Basware and a replay lets the blocked invoices through.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from ml_connector.config import TenantConfig
from ml_connector.sync.catalog import Catalog, load_catalog, normalise
from ml_connector.sync.context import TenantContext
from ml_connector.sync.master_data import targets_of
from ml_connector.sync.values import parse_date

log = logging.getLogger(__name__)
MISSING = "does not exist"
GAPS_REPORT = "gaps"  # the state store report the operations page shows
REPORTED_INVOICES = 50  # blocked invoice ids kept per gap in that report (the count is always exact)


@dataclass
class Gap:
    company: str
    letter: str
    code: str
    reason: str
    source: str  # the Basware field or list it was seen in
    invoices: set[str] = field(default_factory=set)

    @property
    def missing(self) -> bool:
        return self.reason.startswith(MISSING)

    def to_json(self) -> dict[str, Any]:
        return {"company": self.company, "code_part": self.letter, "code": self.code, "reason": self.reason,
                "source": self.source, "invoices": sorted(self.invoices)}


def coding_codes(tenant: TenantConfig, doc: dict[str, Any]) -> Iterator[tuple[str, str, str, str, date]]:
    """(IFS company, code part, code, Basware field, invoice date) of every coded value of one invoice."""
    company = tenant.ifs_company(str(doc.get("companyCode") or ""))
    if company is None:
        return
    on = parse_date(doc.get("invoiceDate")) or datetime.now(UTC).date()
    for row in doc.get("codingRows") or ():
        if not isinstance(row, dict):
            continue
        if row.get("accountCode"):
            yield company, "A", normalise(tenant.gl_accounts.ifs_account(str(row["accountCode"]))), "accountCode", on
        for field_name, letter in tenant.dimensions.get(company, {}).items():
            if row.get(field_name) not in (None, ""):
                yield company, letter, normalise(row[field_name]), field_name, on


def find_gaps(ctx: TenantContext, catalog: Catalog | None = None) -> list[Gap]:
    tenant = ctx.tenant
    catalog = catalog or load_catalog(ctx.ifs, tenant.companies.values())
    gaps: dict[tuple[str, str, str], Gap] = {}
    for doc in ctx.basware.documents.iter():
        for company, letter, code, source, on in coding_codes(tenant, doc):
            why = catalog.problem(company, letter, code, on)
            if why:
                gap = gaps.setdefault((company, letter, code), Gap(company, letter, code, why, source))
                gap.invoices.add(str(doc.get("invoiceId")))
    for company, letter, code, source in _list_codes(ctx):
        # A list entry needs the value to exist in IFS; its validity is the master-data run's business.
        if not _exists(catalog, company, letter, code):
            gaps.setdefault((company, letter, code), Gap(company, letter, code,
                                                         f"{MISSING} in IFS company {company}", source))
    return sorted(gaps.values(), key=lambda g: (g.company, g.letter, g.code))


def _exists(catalog: Catalog, company: str, letter: str, code: str) -> bool:
    return not (catalog.problem(company, letter, code, date.min) or "").startswith(MISSING)


def _list_codes(ctx: TenantContext) -> Iterator[tuple[str, str, str, str]]:
    by_company = ctx.tenant.companies
    for company in sorted(set(by_company.values())):
        for letter, target in sorted(targets_of(ctx.tenant, company).items()):
            if not target.startswith("ACC_LIST_"):
                continue
            basware_codes = [b for b, i in by_company.items() if i == company]
            for basware_company in basware_codes:
                for item in ctx.basware.master_data.iter_list(target, basware_company):
                    if item.get("text_1"):
                        yield company, letter, normalise(item["text_1"]), target


def create_missing(ctx: TenantContext, gaps: Iterable[Gap]) -> list[Gap]:
    """Create in IFS the gaps whose code is missing there, when the tenant allows it; returns those created."""
    if not ctx.tenant.master_data.create_missing_in_ifs:
        return []
    cv = ctx.ifs.fields.code_part_values
    created = []
    for gap in gaps:
        if not gap.missing:
            continue  # exists but closed or not yet valid: a person decides, not the connector
        body: dict[str, Any] = {cv.values[gap.letter]: gap.code}
        if cv.description:
            body[cv.description] = f"{gap.code} (created from Basware {gap.source})"
        ctx.ifs.writes.create(cv.projection, cv.entity_set, body, keys={cv.company: gap.company},
                              navigation=cv.navigations[gap.letter])
        log.info("tenant %s: created %s code part %s value %s in IFS", ctx.tenant_id, gap.company, gap.letter,
                 gap.code)
        created.append(gap)
    return created


def record_gaps(ctx: TenantContext, gaps: Iterable[Gap], created: Iterable[Gap] = ()) -> None:
    """Keep the latest gaps report in the state store: each gap, the invoices it blocks, what was created."""
    def entry(gap: Gap) -> dict[str, Any]:
        data = gap.to_json()
        data["blocked_invoices"] = len(data["invoices"])
        data["invoices"] = data["invoices"][:REPORTED_INVOICES]
        return data
    found = [entry(g) for g in gaps]
    ctx.store.put_report(ctx.tenant_id, GAPS_REPORT, {"gaps": found, "created_in_ifs": [entry(g) for g in created]},
                         run_id=ctx.run_id)
