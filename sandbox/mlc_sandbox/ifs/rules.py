"""Business rules run around writes, as IFS's PL/SQL would: validation, defaults, cascades.

Each entity set has a `Rules` object; errors are `business()` (400 DATABASE_ERROR with the ORA text).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from mlc_sandbox.ifs.entities import Schema
from mlc_sandbox.ifs.errors import business
from mlc_sandbox.ifs.settings import IfsSettings
from mlc_sandbox.ifs.store import Database, Row

END_OF_TIME = date(9999, 12, 31)


@dataclass
class Context:
    db: Database
    settings: IfsSettings
    user: str

    @property
    def schema(self) -> Schema:
        return self.db.schema


class Rules:
    """No-op base: read-only sets and sets without rules."""

    def before_insert(self, ctx: Context, values: dict[str, Any]) -> None: ...
    def before_update(self, ctx: Context, row: Row, changes: dict[str, Any]) -> None: ...
    def before_delete(self, ctx: Context, row: Row) -> None: ...
    def after_write(self, ctx: Context, row: Row) -> None: ...
    def after_delete(self, ctx: Context, row: Row) -> None: ...


def check_company(ctx: Context, company: Any) -> Row:
    row = ctx.db.store(ctx.schema.company.entity_set).get((company,))
    if row is None:
        raise business(f"The Company {company} does not exist.", "Company")
    if not ctx.settings.company_granted(company):
        raise business(f"User {ctx.user} is not connected to company {company}.", "Company")
    return row


def check_supplier(ctx: Context, supplier_id: Any) -> Row:
    row = ctx.db.store(ctx.schema.supplier.entity_set).get((supplier_id,))
    if row is None:
        raise business(f"The Supplier {supplier_id} does not exist.", ctx.schema.names.invoice_supplier)
    return row


def _upper_key(values: dict[str, Any], name: str) -> None:
    # IFS key columns are upper-case formatted: the server upper-cases what the client sends.
    if isinstance(values.get(name), str):
        values[name] = values[name].strip().upper()


def _check_country(values: dict[str, Any]) -> None:
    country = values.get("Country")
    if country is not None and not re.fullmatch(r"[A-Z]{2}", country):
        raise business(f"The Country code {country} does not exist.", "Country")


class SupplierRules(Rules):
    def before_insert(self, ctx: Context, values: dict[str, Any]) -> None:
        _upper_key(values, "SupplierId")
        if ctx.db.store(ctx.schema.supplier.entity_set).get((values["SupplierId"],)):
            raise business(f"The Supplier {values['SupplierId']} already exists.", "SupplierId")
        if not values["Name"].strip():
            raise business("Field [NAME] in SupplierInfoGeneral is mandatory.", "Name")
        _check_country(values)
        for name, default in (("SupplierCategory", "Supplier"), ("PartyType", "Supplier"),
                              ("DefaultLanguage", "en"), ("OneTimeSupplier", False)):
            if values.get(name) is None:
                values[name] = default
        values["CreationDate"] = ctx.db.now().date()

    def before_update(self, ctx: Context, row: Row, changes: dict[str, Any]) -> None:
        if "Name" in changes and not (changes["Name"] or "").strip():
            raise business("Field [NAME] in SupplierInfoGeneral is mandatory.", "Name")
        _check_country(changes)

    def before_delete(self, ctx: Context, row: Row) -> None:
        if ctx.db.store(ctx.schema.invoice.entity_set).where(
                **{ctx.schema.names.invoice_supplier: row.values["SupplierId"]}):
            raise business(f"The Supplier {row.values['SupplierId']} is used by supplier invoices "
                           "and cannot be removed.", "SupplierId")

    def after_delete(self, ctx: Context, row: Row) -> None:
        links = ctx.db.store(ctx.schema.supplier_company.entity_set).where(SupplierId=row.values["SupplierId"])
        for link in links:
            ctx.db.delete(ctx.schema.supplier_company, link, ctx.user)


class SupplierCompanyRules(Rules):
    def before_insert(self, ctx: Context, values: dict[str, Any]) -> None:
        _upper_key(values, "SupplierId")
        supplier = check_supplier(ctx, values["SupplierId"])
        check_company(ctx, values["Company"])
        if ctx.db.store(ctx.schema.supplier_company.entity_set).get((values["SupplierId"], values["Company"])):
            raise business(f"Supplier {values['SupplierId']} already exists in company {values['Company']}.")
        values["PayTermId"] = values.get("PayTermId") or "NET30"
        values["Currency"] = values.get("Currency") or supplier.values["Currency"]


def code_part_row(ctx: Context, company: str, letter: str) -> Row | None:
    return ctx.db.store(ctx.schema.code_part.entity_set).get((company, letter))


class CodePartValueRules(Rules):
    """The values of one code part (`letter`), as CompanyFinanceSet(...)/Code<letter>Array holds them."""

    def __init__(self, letter: str) -> None:
        self.letter = letter

    def before_insert(self, ctx: Context, values: dict[str, Any]) -> None:
        prop = ctx.schema.names.value_prop(self.letter)
        _upper_key(values, prop)
        company, letter = values["Company"], self.letter
        check_company(ctx, company)
        part = code_part_row(ctx, company, letter)
        if part is None or not part.values["CodePartUsed"]:
            raise business(f"Code part {letter} is not used in company {company}.", prop)
        if ctx.db.store(ctx.schema.code_value_set(letter)).get((company, values[prop])):
            raise business(f"{part.values['CodeName']} {values[prop]} already exists "
                           f"in company {company}.", prop)
        values["ValidFrom"] = values.get("ValidFrom") or ctx.db.now().date()
        values["ValidUntil"] = values.get("ValidUntil") or END_OF_TIME
        self._check_dates(values)

    def before_update(self, ctx: Context, row: Row, changes: dict[str, Any]) -> None:
        self._check_dates({**row.values, **changes})

    @staticmethod
    def _check_dates(values: dict[str, Any]) -> None:
        if values["ValidFrom"] and values["ValidUntil"] and values["ValidFrom"] > values["ValidUntil"]:
            raise business("Valid From must be earlier than Valid Until.", "ValidFrom")

    def before_delete(self, ctx: Context, row: Row) -> None:
        value = row.values[ctx.schema.names.value_prop(self.letter)]
        prop = ctx.schema.code_part_props[self.letter]
        used = ctx.db.store(ctx.schema.posting.entity_set).where(Company=row.values["Company"], **{prop: value})
        if used:
            raise business(f"Code part value {value} is used in postings and cannot be removed.",
                           ctx.schema.names.value_prop(self.letter))
