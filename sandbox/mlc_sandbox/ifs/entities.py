"""The simulator's contract: projections, entity sets, keys, navigations and properties, per profile.

`Schema(names)` builds every entity type under one naming profile (profiles.py); the simulator serves
exactly one schema, and its `$metadata` describes every set, navigation and property of it. Projection
and set names for posting proposals are not public (see the reference). Every set carries the IFS
system fields.
"""

from __future__ import annotations

from functools import cached_property

from mlc_sandbox.ifs import edm
from mlc_sandbox.ifs.model import CODE_PARTS, EntityType, EnumType, NavProperty, Prop, system_props
from mlc_sandbox.ifs.profiles import IFS_CLOUD, Names

PARTY_TYPES = ("Supplier", "Company", "Person")


def _supplier(n: Names) -> EntityType:
    ns = f"IfsApp.{n.supplier_projection}"
    return EntityType(
        "SupplierInfoGeneral", "SupplierInfoGeneralSet", n.supplier_projection, "SupplierInfoGeneral",
        keys=("SupplierId",),
        props=(
            Prop("SupplierId", nullable=False, max_length=20, required=True),
            Prop("Name", nullable=False, max_length=100, required=True),
            Prop("Country", max_length=2),
            Prop("DefaultLanguage", max_length=5),
            Prop("SupplierCategory", enum=EnumType(ns, "SupplierCategory", ("Supplier", "ProspectiveSupplier"))),
            Prop("PartyType", enum=EnumType(ns, "PartyType", PARTY_TYPES)),
            Prop("AssociationNo", max_length=50),
            Prop("Currency", max_length=3),
            Prop("OneTimeSupplier", edm.BOOLEAN),
            Prop("CreationDate", edm.DATE, read_only=True),
            Prop("ModifiedDate", edm.DATETIME, read_only=True),
        ) + system_props(),
        insertable=True, updatable=True, deletable=True,
        navigations=(NavProperty(n.supplier_companies_nav, "SupplierInvoiceCompanySet",
                                 (("SupplierId", "SupplierId"),)),),
    )


def _supplier_company(n: Names) -> EntityType:
    return EntityType(
        "SupplierInvoiceCompany", "SupplierInvoiceCompanySet", n.supplier_projection, "IdentityInvoiceInfo",
        keys=("SupplierId", "Company"),
        props=(
            Prop("SupplierId", nullable=False, max_length=20, required=True),
            Prop("Company", nullable=False, max_length=20, required=True),
            Prop("PayTermId", max_length=20),
            Prop("Currency", max_length=3),
            Prop("ModifiedDate", edm.DATETIME, read_only=True),
        ) + system_props(),
        company_prop="Company", insertable=True, updatable=True, deletable=True,
    )


COMPANY = EntityType(
    "Company", "CompanySet", "CompanyHandling", "Company",
    keys=("Company",),
    props=(
        Prop("Company", nullable=False, max_length=20),
        Prop("Name", max_length=100),
        Prop("Country", max_length=2),
        Prop("CurrencyCode", max_length=3),
    ) + system_props(),
    company_prop="Company",
)


def _code_part(n: Names) -> EntityType:
    return EntityType(
        "AccountingCodePart", "AccountingCodePartSet", n.code_parts_projection, "AccountingCodePart",
        keys=("Company", "CodePart"),
        props=(
            Prop("Company", nullable=False, max_length=20),
            Prop("CodePart", nullable=False, max_length=1),
            Prop("CodeName", max_length=30),
            Prop("Description", max_length=100),
            Prop("CodePartUsed", edm.BOOLEAN),
        ) + system_props(),
        company_prop="Company",
    )


def _code_value(n: Names, letter: str) -> EntityType:
    """The values of one code part: CompanyFinanceSet(Company='10')/CodeBArray, the value in CodeB."""
    value = n.value_prop(letter)
    return EntityType(
        f"CodePart{letter}Value", f"CodePart{letter}ValueSet", n.code_values_projection, "AccountingCodePartValue",
        keys=("Company", value),
        props=(
            Prop("Company", nullable=False, max_length=20, required=True),
            Prop(value, nullable=False, max_length=20, required=True),
            Prop("Description", max_length=100, required=True),
            Prop("ValidFrom", edm.DATE),
            Prop("ValidUntil", edm.DATE),
            Prop("ModifiedDate", edm.DATETIME, read_only=True),
        ) + system_props(),
        company_prop="Company", insertable=True, updatable=True, deletable=True,
    )


def _company_finance(n: Names) -> EntityType:
    return EntityType(
        "CompanyFinance", "CompanyFinanceSet", n.code_values_projection, "CompanyFinance",
        keys=("Company",),
        props=(
            Prop("Company", nullable=False, max_length=20),
            Prop("Description", max_length=100),
            Prop("CurrencyCode", max_length=3),
        ) + system_props(),
        company_prop="Company",
        navigations=tuple(NavProperty(n.values_nav(letter), f"CodePart{letter}ValueSet", (("Company", "Company"),))
                          for letter in CODE_PARTS),
    )


def _invoice(n: Names) -> EntityType:
    ns = f"IfsApp.{n.invoice_projection}"
    party = (Prop(n.invoice_party_type, enum=EnumType(ns, "PartyType", PARTY_TYPES), required=True),) \
        if n.invoice_party_type else ()
    gross = (Prop(n.gross, edm.DECIMAL, required=True),) if n.gross else ()
    return EntityType(
        "ManSuppInvoice", "ManSuppInvoiceSet", n.invoice_projection, "ManSuppInvoice",
        keys=("Company", "InvoiceId"),
        props=(
            Prop("Company", nullable=False, max_length=20, required=True),
            Prop("InvoiceId", edm.INT32, nullable=False, read_only=True),
            Prop(n.invoice_supplier, max_length=20, required=True),
            *party,
            Prop("InvoiceNo", max_length=50, required=True),
            Prop("InvoiceDate", edm.DATE, required=True),
            Prop("DueDate", edm.DATE),
            Prop("Currency", max_length=3),
            Prop(n.net, edm.DECIMAL, required=True),
            Prop(n.vat, edm.DECIMAL, required=True),
            *gross,
            Prop("PayTermId", max_length=20),
            Prop(n.external_ref, max_length=100),
            Prop("CreatedBy", max_length=30, read_only=True),
            Prop("ModifiedDate", edm.DATETIME, read_only=True),
        ) + system_props(objstate=EnumType(ns, "ManSuppInvoiceState", ("Preliminary", "Balanced"))),
        company_prop="Company", insertable=True, updatable=True, deletable=True,
        navigations=(NavProperty(n.rows_nav, n.rows_set, (("Company", "Company"), ("InvoiceId", "InvoiceId"))),),
    )


def _posting(n: Names) -> EntityType:
    return EntityType(
        "ManSuppInvoicePosting", n.rows_set, n.invoice_projection, "ManSuppInvoicePostings",
        keys=("Company", "InvoiceId", n.row_id),
        props=(
            Prop("Company", nullable=False, max_length=20, required=True),
            Prop("InvoiceId", edm.INT32, nullable=False, required=True),
            Prop(n.row_id, edm.INT32, nullable=False, read_only=True),
            *(Prop(name, max_length=20, required=(letter == "A")) for letter, name in n.code_part_props().items()),
            Prop("CurrAmount", edm.DECIMAL, required=True),
            Prop("VatCode", max_length=20),
            Prop("CurrVatAmount", edm.DECIMAL),
            Prop("Text", max_length=200),
            Prop("ModifiedDate", edm.DATETIME, read_only=True),
        ) + system_props(),
        company_prop="Company", insertable=True, updatable=True, deletable=True,
        # A one-to-one reference back to the invoice: what `$expand` can follow.
        navigations=(NavProperty("InvoiceRef", "ManSuppInvoiceSet",
                                 (("Company", "Company"), ("InvoiceId", "InvoiceId")), many=False),),
    )


HISTORY_LOG = EntityType(
    "HistoryLogOverview", "HistoryLogOverviewSet", "HistoryLogHandling", "HistoryLog",
    keys=("LogId",),
    props=(
        Prop("LogId", edm.INT64, nullable=False),
        Prop("LuName", max_length=30),
        Prop("TableName", max_length=30),
        Prop("Keys", max_length=600),
        Prop("HistoryType", max_length=10),
        Prop("TimeStamp", edm.DATETIME),
        Prop("Username", max_length=30),
    ) + system_props(),
)


class Schema:
    """Every entity type of one naming profile, and how to find them."""

    def __init__(self, names: Names = IFS_CLOUD) -> None:
        self.names = names
        self.supplier = _supplier(names)
        self.supplier_company = _supplier_company(names)
        self.company = COMPANY
        self.code_part = _code_part(names)
        self.code_values = {letter: _code_value(names, letter) for letter in CODE_PARTS}
        self.company_finance = _company_finance(names)
        self.invoice = _invoice(names)
        self.posting = _posting(names)
        self.history_log = HISTORY_LOG
        self.entity_types: tuple[EntityType, ...] = (
            self.supplier, self.supplier_company, self.company, self.code_part, *self.code_values.values(),
            self.company_finance, self.invoice, self.posting, self.history_log)
        self.by_set = {t.entity_set: t for t in self.entity_types}
        self.letter_of = {t.entity_set: letter for letter, t in self.code_values.items()}

    @cached_property
    def code_part_props(self) -> dict[str, str]:
        return self.names.code_part_props()

    def projection_sets(self, projection: str) -> list[EntityType]:
        """Entity sets of one projection; an empty list means the projection does not exist."""
        return [t for t in self.entity_types if t.projection == projection]

    def code_value_set(self, letter: str) -> str:
        return self.code_values[letter].entity_set
