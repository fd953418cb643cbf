"""The simulator's default contract: projections, entity sets, keys and properties.

Projection and set names for posting proposals are not public (see the reference): these are the
defaults ml-connector is configured with. Every set carries the IFS system fields.
"""

from __future__ import annotations

from mlc_sandbox.ifs import edm
from mlc_sandbox.ifs.model import CODE_PARTS, EntityType, EnumType, NavProperty, Prop, system_props

SUPPLIER_NS = "IfsApp.SupplierHandling"
INVOICE_NS = "IfsApp.ManualSupplierInvoiceHandling"

PARTY_TYPE = EnumType(SUPPLIER_NS, "PartyType", ("Supplier", "Company", "Person"))
SUPPLIER_CATEGORY = EnumType(SUPPLIER_NS, "SupplierCategory", ("Supplier", "ProspectiveSupplier"))
INVOICE_STATE = EnumType(INVOICE_NS, "ManSuppInvoiceState", ("Preliminary", "Balanced"))

# Posting-row property carrying each code part: A is the account, B..J are CodeB..CodeJ.
CODE_PART_PROPS = {letter: ("Account" if letter == "A" else f"Code{letter}") for letter in CODE_PARTS}

SUPPLIER = EntityType(
    "SupplierInfoGeneral", "SupplierInfoGeneralSet", "SupplierHandling", "SupplierInfoGeneral",
    keys=("SupplierId",),
    props=(
        Prop("SupplierId", nullable=False, max_length=20, required=True),
        Prop("Name", nullable=False, max_length=100, required=True),
        Prop("Country", max_length=2),
        Prop("DefaultLanguage", max_length=5),
        Prop("SupplierCategory", enum=SUPPLIER_CATEGORY),
        Prop("PartyType", enum=PARTY_TYPE),
        Prop("AssociationNo", max_length=50),
        Prop("Currency", max_length=3),
        Prop("OneTimeSupplier", edm.BOOLEAN),
        Prop("CreationDate", edm.DATE, read_only=True),
        Prop("ModifiedDate", edm.DATETIME, read_only=True),
    ) + system_props(),
    insertable=True, updatable=True, deletable=True,
)

SUPPLIER_COMPANY = EntityType(
    "SupplierCompany", "SupplierCompanySet", "SupplierHandling", "IdentityInvoiceInfo",
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

CODE_PART = EntityType(
    "AccountingCodePart", "AccountingCodePartSet", "AccountingCodePartsHandling", "AccountingCodePart",
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

CODE_PART_VALUE = EntityType(
    "CodePartValue", "CodePartValueSet", "CodePartValuesHandling", "AccountingCodePartValue",
    keys=("Company", "CodePart", "CodePartValue"),
    props=(
        Prop("Company", nullable=False, max_length=20, required=True),
        Prop("CodePart", nullable=False, max_length=1, required=True),
        Prop("CodePartValue", nullable=False, max_length=20, required=True),
        Prop("Description", max_length=100, required=True),
        Prop("ValidFrom", edm.DATE),
        Prop("ValidUntil", edm.DATE),
        Prop("ModifiedDate", edm.DATETIME, read_only=True),
    ) + system_props(),
    company_prop="Company", insertable=True, updatable=True, deletable=True,
)

# IFS's own path to code part values: CompanyFinanceSet(Company='10')/CodeBArray.
COMPANY_FINANCE = EntityType(
    "CompanyFinance", "CompanyFinanceSet", "CodePartValuesHandling", "CompanyFinance",
    keys=("Company",),
    props=(
        Prop("Company", nullable=False, max_length=20),
        Prop("Description", max_length=100),
        Prop("CurrencyCode", max_length=3),
    ) + system_props(),
    company_prop="Company",
    navigations=tuple(
        NavProperty(f"Code{letter}Array", "CodePartValueSet", (("Company", "Company"),),
                    (("CodePart", letter),))
        for letter in CODE_PARTS),
)

INVOICE = EntityType(
    "ManSuppInvoice", "ManSuppInvoiceSet", "ManualSupplierInvoiceHandling", "ManSuppInvoice",
    keys=("Company", "InvoiceId"),
    props=(
        Prop("Company", nullable=False, max_length=20, required=True),
        Prop("InvoiceId", edm.INT32, nullable=False, read_only=True),
        Prop("SupplierId", max_length=20, required=True),
        Prop("InvoiceNo", max_length=50, required=True),
        Prop("InvoiceDate", edm.DATE, required=True),
        Prop("DueDate", edm.DATE),
        Prop("Currency", max_length=3),
        Prop("NetAmount", edm.DECIMAL, required=True),
        Prop("VatAmount", edm.DECIMAL, required=True),
        Prop("GrossAmount", edm.DECIMAL, required=True),
        Prop("PayTermId", max_length=20),
        Prop("ExternalRef", max_length=100),
        Prop("CreatedBy", max_length=30, read_only=True),
        Prop("ModifiedDate", edm.DATETIME, read_only=True),
    ) + system_props(objstate=INVOICE_STATE),
    company_prop="Company", insertable=True, updatable=True, deletable=True,
    navigations=(NavProperty("PostingProposalArray", "ManSuppInvoicePostingSet",
                             (("Company", "Company"), ("InvoiceId", "InvoiceId"))),),
)

POSTING = EntityType(
    "ManSuppInvoicePosting", "ManSuppInvoicePostingSet", "ManualSupplierInvoiceHandling",
    "ManSuppInvoicePostings",
    keys=("Company", "InvoiceId", "RowNo"),
    props=(
        Prop("Company", nullable=False, max_length=20, required=True),
        Prop("InvoiceId", edm.INT32, nullable=False, required=True),
        Prop("RowNo", edm.INT32, nullable=False, read_only=True),
        *(Prop(name, max_length=20, required=(letter == "A")) for letter, name in CODE_PART_PROPS.items()),
        Prop("CurrAmount", edm.DECIMAL, required=True),
        Prop("VatCode", max_length=20),
        Prop("CurrVatAmount", edm.DECIMAL),
        Prop("Text", max_length=200),
        Prop("ModifiedDate", edm.DATETIME, read_only=True),
    ) + system_props(),
    company_prop="Company", insertable=True, updatable=True, deletable=True,
    navigations=(NavProperty("InvoiceRef", "ManSuppInvoiceSet", (("Company", "Company"), ("InvoiceId", "InvoiceId")),
                             many=False),),
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

ENTITY_TYPES: tuple[EntityType, ...] = (SUPPLIER, SUPPLIER_COMPANY, COMPANY, CODE_PART, CODE_PART_VALUE,
                                         COMPANY_FINANCE, INVOICE, POSTING, HISTORY_LOG)
BY_SET = {t.entity_set: t for t in ENTITY_TYPES}


def projection_sets(projection: str) -> list[EntityType]:
    """Entity sets of one projection; an empty list means the projection does not exist."""
    return [t for t in ENTITY_TYPES if t.projection == projection]
