"""Manual supplier invoices and their posting proposal rows.

Every code part on a row must be a valid value of that code part in the invoice's company on the
invoice date. Any write to a row recomputes the invoice: Balanced when the rows carry exactly its net
and VAT amounts (and, where the profile has a gross amount, net + VAT = gross), else Preliminary; the
invoice gets a new ETag either way. Property names follow the simulator's profile (profiles.py).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from mlc_sandbox.ifs.errors import business, detail
from mlc_sandbox.ifs.model import snake_upper
from mlc_sandbox.ifs.profiles import Names
from mlc_sandbox.ifs.rules import Context, Rules, check_company, check_supplier, code_part_row
from mlc_sandbox.ifs.store import Row

ZERO = Decimal(0)


def invoice_state(n: Names, invoice: dict[str, Any], rows: list[Row]) -> str:
    net, vat = invoice[n.net], invoice[n.vat]
    row_net = sum((r.values["CurrAmount"] or ZERO for r in rows), ZERO)
    row_vat = sum((r.values["CurrVatAmount"] or ZERO for r in rows), ZERO)
    gross_ok = n.gross is None or net + vat == invoice[n.gross]
    balanced = bool(rows) and row_net == net and row_vat == vat and gross_ok
    return "Balanced" if balanced else "Preliminary"


def posting_rows(ctx: Context, invoice: Row) -> list[Row]:
    return ctx.db.store(ctx.schema.posting.entity_set).where(Company=invoice.values["Company"],
                                                             InvoiceId=invoice.values["InvoiceId"])


class InvoiceRules(Rules):
    def before_insert(self, ctx: Context, values: dict[str, Any]) -> None:
        n = ctx.schema.names
        company = check_company(ctx, values["Company"])
        if n.invoice_party_type and values.get(n.invoice_party_type) != "Supplier":
            raise business(f"Party type {values.get(n.invoice_party_type)} is not allowed on a supplier "
                           "invoice.", n.invoice_party_type)
        supplier = check_supplier(ctx, values[n.invoice_supplier])
        link = ctx.db.store(ctx.schema.supplier_company.entity_set).get((values[n.invoice_supplier],
                                                                         values["Company"]))
        if link is None and ctx.settings.require_supplier_in_company:
            raise business(f"Supplier {values[n.invoice_supplier]} does not exist in company "
                           f"{values['Company']}.", n.invoice_supplier)
        self._check_external_ref(ctx, values, None)
        store = ctx.db.store(ctx.schema.invoice.entity_set)
        values["InvoiceId"] = (store.max_of("InvoiceId", Company=values["Company"]) or 0) + 1
        values["Currency"] = (values.get("Currency") or company.values["CurrencyCode"]
                              or supplier.values["Currency"])
        values["PayTermId"] = values.get("PayTermId") or (link.values["PayTermId"] if link else "NET30")
        values["CreatedBy"] = ctx.user
        values["Objstate"] = invoice_state(n, values, [])

    def before_update(self, ctx: Context, row: Row, changes: dict[str, Any]) -> None:
        n = ctx.schema.names
        if n.invoice_supplier in changes:
            check_supplier(ctx, changes[n.invoice_supplier])
        for name in (n.invoice_supplier, "InvoiceNo", "InvoiceDate", n.net, n.vat, n.gross):
            if name and name in changes and changes[name] in (None, ""):
                raise business(f"Field [{name}] in ManSuppInvoice is mandatory.", name)
        if n.external_ref in changes:
            self._check_external_ref(ctx, {**row.values, **changes}, row)

    @staticmethod
    def _check_external_ref(ctx: Context, values: dict[str, Any], current: Row | None) -> None:
        # IFS itself has no such rule: only when the sandbox is told to (tests of duplicate prevention).
        name = ctx.schema.names.external_ref
        ref = values.get(name)
        if not ctx.settings.unique_external_ref or not ref:
            return
        clash = [r for r in ctx.db.store(ctx.schema.invoice.entity_set).where(Company=values["Company"],
                                                                              **{name: ref})
                 if r is not current]
        if clash:
            raise business(f"An invoice with external reference {ref} already exists in company "
                           f"{values['Company']}.", name)

    def after_write(self, ctx: Context, row: Row) -> None:
        state = invoice_state(ctx.schema.names, row.values, posting_rows(ctx, row))
        ctx.db.set_derived(ctx.schema.invoice, row, "Objstate", state)

    def after_delete(self, ctx: Context, row: Row) -> None:
        for posting in posting_rows(ctx, row):
            ctx.db.delete(ctx.schema.posting, posting, ctx.user)


class PostingRules(Rules):
    def before_insert(self, ctx: Context, values: dict[str, Any]) -> None:
        invoice = self._invoice(ctx, values)
        for prop in ctx.schema.code_part_props.values():
            if isinstance(values.get(prop), str):
                values[prop] = values[prop].strip().upper()
        check_codes(ctx, invoice, values)
        row_id = ctx.schema.names.row_id
        used = [r.values[row_id] for r in posting_rows(ctx, invoice)]
        values[row_id] = max(used, default=0) + 1
        if values.get("CurrVatAmount") is None:
            values["CurrVatAmount"] = ZERO

    def before_update(self, ctx: Context, row: Row, changes: dict[str, Any]) -> None:
        account = ctx.schema.code_part_props["A"]
        if account in changes and not changes[account]:
            raise business(f"Field [{snake_upper(account)}] in ManSuppInvoicePostings is mandatory.", account)
        if "CurrAmount" in changes and changes["CurrAmount"] is None:
            raise business("Field [CURR_AMOUNT] in ManSuppInvoicePostings is mandatory.", "CurrAmount")
        for prop in ctx.schema.code_part_props.values():
            if isinstance(changes.get(prop), str):
                changes[prop] = changes[prop].strip().upper()
        check_codes(ctx, self._invoice(ctx, row.values), changes)

    @staticmethod
    def _invoice(ctx: Context, values: dict[str, Any]) -> Row:
        check_company(ctx, values["Company"])
        invoice = ctx.db.store(ctx.schema.invoice.entity_set).get((values["Company"], values["InvoiceId"]))
        if invoice is None:
            raise business(f"Manual supplier invoice {values['InvoiceId']} does not exist in company "
                           f"{values['Company']}.", "InvoiceId")
        return invoice

    def after_write(self, ctx: Context, row: Row) -> None:
        self._refresh_invoice(ctx, row)

    def after_delete(self, ctx: Context, row: Row) -> None:
        self._refresh_invoice(ctx, row)

    @staticmethod
    def _refresh_invoice(ctx: Context, row: Row) -> None:
        invoice = ctx.db.store(ctx.schema.invoice.entity_set).get((row.values["Company"], row.values["InvoiceId"]))
        if invoice is not None:  # gone when the delete cascades from the invoice itself
            state = invoice_state(ctx.schema.names, invoice.values, posting_rows(ctx, invoice))
            ctx.db.update(ctx.schema.invoice, invoice, {"Objstate": state}, ctx.user)


def check_codes(ctx: Context, invoice: Row, values: dict[str, Any]) -> None:
    """Every code part value given must exist for the company and be valid on the invoice date."""
    company, on = invoice.values["Company"], invoice.values["InvoiceDate"]
    problems = []
    for letter, prop in ctx.schema.code_part_props.items():
        code = values.get(prop)
        if code is None:
            continue
        part = code_part_row(ctx, company, letter)
        if part is None or not part.values["CodePartUsed"]:
            problems.append(detail("DATABASE_ERROR", f"Code part {letter} ({prop}) is not used in company "
                                   f"{company}; {code} cannot be posted on it.", prop))
            continue
        value = ctx.db.store(ctx.schema.code_value_set(letter)).get((company, code))
        name = part.values["CodeName"]
        if value is None:
            problems.append(detail("DATABASE_ERROR", f"{name} {code} does not exist in company {company} "
                                   f"(code part {letter}).", prop))
        elif not value.values["ValidFrom"] <= on <= value.values["ValidUntil"]:
            problems.append(detail("DATABASE_ERROR", f"{name} {code} is not valid on {on.isoformat()} "
                                   f"in company {company}.", prop))
    if problems:
        raise business(problems[0]["message"], more=problems)
