"""Basware accounting document -> IFS posting proposal draft, or a rejection naming every problem.

Pure: no HTTP. The catalog (IFS code-part values) and the tenant configuration are the inputs;
checks run to the end so that the AP team sees all of a document's problems at once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from pydantic import ValidationError

from ml_connector.basware.models import AccountingDocument, CodingRow, tax_total
from ml_connector.config import TenantConfig
from ml_connector.field_map import HEADER_ROLES, ROW_ROLES
from ml_connector.sync.catalog import Catalog, normalise
from ml_connector.sync.errors import Reason
from ml_connector.sync.values import decimal_or_none, parse_date

CODE_PARTS = "BCDEFGHIJ"
# The draft speaks in logical roles; the tenant's field map (ml_connector.field_map) names them in IFS.
HEADER_FIELDS = HEADER_ROLES
ROW_FIELDS = ("A", *CODE_PARTS, *ROW_ROLES)  # code part letters (A: the account), then the amounts and text
# Tax is taxSum1 + taxSum2, either of which may be absent: it is checked against grossSum - netSum instead.
REQUIRED = ("companyCode", "supplierCode", "invoiceNumber", "invoiceDate", "currencyCode", "netSum", "grossSum")
AMOUNTS = ("netSum", "taxSum1", "taxSum2", "grossSum")
# The most fundamental problem names the quarantine reason.
_ORDER = (Reason.MALFORMED, Reason.UNKNOWN_COMPANY, Reason.UNKNOWN_ACCOUNT, Reason.INVALID_DIMENSION,
          Reason.UNBALANCED)
ZERO = Decimal(0)
TEXT_MAX = 200


@dataclass(frozen=True)
class Problem:
    code: str
    message: str
    field: str | None = None


@dataclass(frozen=True)
class Rejection:
    invoice_id: str
    label: str  # "invoice <id> (<number>)": names the invoice once, before its problems
    problems: tuple[Problem, ...]

    @property
    def reason_code(self) -> str:
        return self.problems[0].code

    @property
    def reason(self) -> str:
        return f"{self.label}: " + "; ".join(p.message for p in self.problems)


@dataclass(frozen=True)
class ProposalDraft:
    """What the proposal in IFS must look like: header (HEADER_FIELDS) and rows (ROW_FIELDS) by logical
    role, amounts Decimal; `PostingProposalsMap.header_body`/`row_body` give the IFS names."""

    invoice_id: str
    company: str
    supplier_id: str
    header: dict[str, Any]
    rows: tuple[dict[str, Any], ...]

    @property
    def currency(self) -> str:
        return str(self.header["currency"])


def label(doc: Mapping[str, Any]) -> str:
    number = doc.get("invoiceNumber")
    return f"invoice {doc.get('invoiceId')}" + (f" ({number})" if number else "")


def map_document(doc: Mapping[str, Any], tenant: TenantConfig, catalog: Catalog) -> ProposalDraft | Rejection:
    problems: list[Problem] = []
    parsed = _parse(doc, problems)
    company = _company(doc.get("companyCode"), tenant, catalog, problems)
    amounts = {f: _amount(doc, f, problems) for f in AMOUNTS}
    on = _date(doc, "invoiceDate", problems)
    due = _date(doc, "dueDate", problems) if doc.get("dueDate") else None
    if parsed is None or company is None or on is None or problems:
        return _reject(doc, problems)
    raw_rows = [r if isinstance(r, Mapping) else {} for r in doc.get("codingRows") or ()]
    rows = [_row(raw, typed, i, company, on, tenant, catalog, problems)
            for i, (raw, typed) in enumerate(zip(raw_rows, parsed.coding_rows, strict=True))]
    net, gross = amounts["netSum"], amounts["grossSum"]
    assert net is not None and gross is not None  # else `problems` was not empty
    tax = tax_total(amounts["taxSum1"], amounts["taxSum2"]) or ZERO
    _check_header_tax(amounts, net, gross, problems)
    _check_totals(parsed.coding_rows, net, tax, problems)
    if problems:
        return _reject(doc, problems)
    supplier_id = str(doc["supplierCode"]).strip()
    header = {
        "supplier": supplier_id, "invoice_no": str(doc["invoiceNumber"]),
        "invoice_date": on, "due_date": due, "currency": str(doc["currencyCode"]),
        "net": net, "vat": tax, "gross": gross,
        "pay_term": doc.get("paymentTermCode") or None, "external_ref": parsed.invoice_id,
    }
    return ProposalDraft(parsed.invoice_id, company, supplier_id, header, tuple(rows))


def _reject(doc: Mapping[str, Any], problems: list[Problem]) -> Rejection:
    seen: set[tuple[str, str]] = set()
    unique = []
    for p in problems:  # pydantic and our own checks may both flag one field: say it once
        if p.field is None or (p.code, p.field) not in seen:
            unique.append(p)
        if p.field is not None:
            seen.add((p.code, p.field))
    ordered = sorted(unique, key=lambda p: _ORDER.index(p.code) if p.code in _ORDER else len(_ORDER))
    return Rejection(str(doc.get("invoiceId") or "?"), label(doc), tuple(ordered))


def _parse(doc: Mapping[str, Any], problems: list[Problem]) -> AccountingDocument | None:
    parsed: AccountingDocument | None = None
    try:
        parsed = AccountingDocument.model_validate(dict(doc))
    except ValidationError as exc:
        for err in exc.errors():
            where = ".".join(str(p) for p in err["loc"])
            problems.append(Problem(Reason.MALFORMED, f"field {where}: {err['msg']} "
                                    f"(got {_show(err.get('input'))})", where))
    for where in _fields_with_nul(doc):
        problems.append(Problem(Reason.MALFORMED, f"field {where} contains a NUL character", where))
    for field in REQUIRED:
        if doc.get(field) in (None, ""):
            problems.append(Problem(Reason.MALFORMED, f"required field {field} is missing", field))
    rows = doc.get("codingRows")
    if not isinstance(rows, list) or not rows:
        problems.append(Problem(Reason.MALFORMED, "has no coding rows", "codingRows"))
    elif parsed is not None:
        for i, row in enumerate(parsed.coding_rows):
            for field, value in (("accountCode", row.account_code), ("netTotal", row.net_total)):
                if value in (None, ""):
                    problems.append(Problem(Reason.MALFORMED, f"coding row {_row_no(row, i)}: "
                                            f"required field {field} is missing", f"codingRows.{i}.{field}"))
    return parsed


def _fields_with_nul(doc: Mapping[str, Any]) -> list[str]:
    """Header and coding-row fields holding U+0000: no Basware text has one, and IFS and PostgreSQL
    refuse it."""
    found = [k for k, v in doc.items() if isinstance(v, str) and "\x00" in v]
    for i, row in enumerate(doc.get("codingRows") or ()):
        if isinstance(row, Mapping):
            found += [f"codingRows.{i}.{k}" for k, v in row.items() if isinstance(v, str) and "\x00" in v]
    return found


def _amount(doc: Mapping[str, Any], field: str, problems: list[Problem]) -> Decimal | None:
    value = doc.get(field)
    amount = decimal_or_none(value)
    if amount is None and value not in (None, ""):  # missing is reported by the required check
        problems.append(Problem(Reason.MALFORMED, f"{field} {_show(value)} is not an amount", field))
    return amount


def _date(doc: Mapping[str, Any], field: str, problems: list[Problem]) -> date | None:
    value = doc.get(field)
    parsed = parse_date(value)
    if parsed is None and value not in (None, ""):
        problems.append(Problem(Reason.MALFORMED, f"{field} {_show(value)} is not a date", field))
    return parsed


def _company(code: Any, tenant: TenantConfig, catalog: Catalog, problems: list[Problem]) -> str | None:
    if code in (None, ""):
        return None  # reported as a missing required field
    company = tenant.ifs_company(str(code))
    if company is None:
        known = ", ".join(sorted(tenant.companies))
        problems.append(Problem(Reason.UNKNOWN_COMPANY, f"Basware company code {_show(code)} is not "
                                f"mapped to an IFS company (mapped: {known})", "companyCode"))
        return None
    if not catalog.has_company(company):
        problems.append(Problem(Reason.UNKNOWN_COMPANY, f"IFS company {company} (Basware {code}) shows "
                                "no code parts: it does not exist or the service user is not granted it",
                                "companyCode"))
        return None
    return company


def _row(raw: Mapping[str, Any], typed: CodingRow, index: int, company: str, on: date, tenant: TenantConfig,
         catalog: Catalog, problems: list[Problem]) -> dict[str, Any]:
    where = f"coding row {_row_no(typed, index)}"
    basware_account = str(typed.account_code)
    account = normalise(tenant.gl_accounts.ifs_account(basware_account))
    why = catalog.problem(company, "A", account, on)
    if why:
        shown = _show(basware_account) + (f" (IFS account {account})" if account != basware_account else "")
        problems.append(Problem(Reason.UNKNOWN_ACCOUNT, f"{where}: account {shown} {why}",
                                f"codingRows.{index}.accountCode"))
    codes: dict[str, str] = {}
    for field, letter in tenant.dimensions.get(company, {}).items():
        value = raw.get(field)
        if value in (None, ""):
            continue
        code = normalise(value)
        why = catalog.problem(company, letter, code, on)
        if why:
            problems.append(Problem(Reason.INVALID_DIMENSION, f"{where}: {field} {_show(value)} is not a valid "
                                    f"{catalog.part_name(company, letter)} (code part {letter}): {why}",
                                    f"codingRows.{index}.{field}"))
        codes[letter] = code
    return {
        "A": account,
        **{p: codes.get(p) for p in CODE_PARTS},
        "amount": typed.net_total,
        "vat_code": typed.tax_code or None,
        "vat_amount": typed.tax if typed.tax is not None else ZERO,
        "text": _text(raw, typed, index),
    }


def _check_header_tax(amounts: Mapping[str, Decimal | None], net: Decimal, gross: Decimal,
                      problems: list[Problem]) -> None:
    """taxSum1 + taxSum2 (absent counts as 0) must be exactly grossSum - netSum."""
    tax1, tax2 = amounts["taxSum1"], amounts["taxSum2"]
    tax = tax_total(tax1, tax2) or ZERO
    if tax != gross - net:
        problems.append(Problem(Reason.UNBALANCED, f"taxSum1 {_figure(tax1)} + taxSum2 {_figure(tax2)} = {tax}, "
                                f"but grossSum {gross} - netSum {net} = {gross - net}", "taxSum1"))


def _check_totals(rows: list[CodingRow], net: Decimal, tax: Decimal, problems: list[Problem]) -> None:
    row_net = sum((r.net_total or ZERO for r in rows), ZERO)
    row_tax = sum((r.tax or ZERO for r in rows), ZERO)
    if row_net != net:
        problems.append(Problem(Reason.UNBALANCED, f"coding rows carry net {row_net}, "
                                f"the invoice netSum is {net}", "netSum"))
    if row_tax != tax:
        problems.append(Problem(Reason.UNBALANCED, f"coding rows carry tax {row_tax} (taxSum + taxSum2), "
                                f"the invoice taxSum1 + taxSum2 is {tax}", "codingRows.tax"))
    for i, r in enumerate(rows):
        if r.gross_total is not None and r.net_total is not None and \
                r.net_total + (r.tax or ZERO) != r.gross_total:
            problems.append(Problem(Reason.UNBALANCED, f"coding row {_row_no(r, i)}: netTotal "
                                    f"{r.net_total} + taxSum {_figure(r.tax_sum)} + taxSum2 {_figure(r.tax_sum2)} "
                                    f"is not grossTotal {r.gross_total}", f"codingRows.{i}.grossTotal"))


def _figure(amount: Decimal | None) -> str:
    return "(absent)" if amount is None else str(amount)


def _row_no(row: CodingRow, index: int) -> int:
    return row.row_index if row.row_index is not None else index + 1


def _text(raw: Mapping[str, Any], typed: CodingRow, index: int) -> str:
    # Traceability back to Basware: row number, purchase order, and the approver's comment.
    parts = [f"Basware row {_row_no(typed, index)}"]
    if raw.get("orderNumber"):
        parts.append(f"PO {raw['orderNumber']}")
    if raw.get("lastComment"):  # StandardCodingEntity's comment field
        parts.append(str(raw["lastComment"]))
    text = " - ".join(parts)
    return text if len(text) <= TEXT_MAX else text[: TEXT_MAX - 3] + "..."


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
