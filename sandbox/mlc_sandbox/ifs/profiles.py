"""Naming profiles the simulator can serve: the same IFS behaviour under another release's names.

`ifs-cloud` (the default) follows public code that writes manual supplier invoices (`Identity` +
`PartyType`, `NetCurrAmount`, `CodeA`..`CodeJ`, `RowId`, `CompanyFinanceSet(...)/CodeIArray` with the
value in `CodeI`, `SupplierInvoiceCompanies`). `ifs-apps10` is an older naming (`SuppliersHandling`,
`ManualSupplierInvoiceHandling`, `NetAmount`, `GrossAmount`, `RowNo`, `Account`). The simulator keeps
its own copy of these names: it follows the published API, never the connector's configuration.
"""

from __future__ import annotations

from dataclasses import dataclass

from mlc_sandbox.ifs.model import CODE_PARTS

DEFAULT_PROFILE = "ifs-cloud"


@dataclass(frozen=True)
class Names:
    profile: str
    supplier_projection: str
    supplier_companies_nav: str
    code_parts_projection: str
    code_values_projection: str
    code_values_nav: str  # "{letter}" is the code part
    code_value_prop: str
    invoice_projection: str
    invoice_supplier: str
    invoice_party_type: str | None
    net: str
    vat: str
    gross: str | None  # None: no gross column, Balanced means rows carry net and VAT exactly
    external_ref: str
    rows_nav: str
    rows_set: str
    row_id: str
    account: str  # code part A on a posting row; B..J are CodeB..CodeJ

    def values_nav(self, letter: str) -> str:
        return self.code_values_nav.replace("{letter}", letter)

    def value_prop(self, letter: str) -> str:
        return self.code_value_prop.replace("{letter}", letter)

    def code_part_props(self) -> dict[str, str]:
        """Posting-row property carrying each code part."""
        return {letter: (self.account if letter == "A" else f"Code{letter}") for letter in CODE_PARTS}


IFS_CLOUD = Names(
    profile="ifs-cloud", supplier_projection="SupplierHandling", supplier_companies_nav="SupplierInvoiceCompanies",
    code_parts_projection="CodePartValuesHandling", code_values_projection="CodePartValuesHandling",
    code_values_nav="Code{letter}Array", code_value_prop="Code{letter}",
    invoice_projection="ManSuppInvoiceHandling", invoice_supplier="Identity", invoice_party_type="PartyType",
    net="NetCurrAmount", vat="VatCurrAmount", gross=None, external_ref="ExternalReference",
    rows_nav="ManSuppInvoicePostingsArray", rows_set="ManSuppInvoicePostingsSet", row_id="RowId", account="CodeA",
)

IFS_APPS10 = Names(
    profile="ifs-apps10", supplier_projection="SuppliersHandling", supplier_companies_nav="SupplierCompanyArray",
    code_parts_projection="AccountingCodePartsHandling", code_values_projection="AccountingCodePartsHandling",
    code_values_nav="CodePart{letter}Array", code_value_prop="CodePartValue",
    invoice_projection="ManualSupplierInvoiceHandling", invoice_supplier="SupplierId", invoice_party_type=None,
    net="NetAmount", vat="VatAmount", gross="GrossAmount", external_ref="ExternalRef",
    rows_nav="PostingProposalArray", rows_set="ManSuppInvoicePostingSet", row_id="RowNo", account="Account",
)

PROFILES = {n.profile: n for n in (IFS_CLOUD, IFS_APPS10)}


def names_for(profile: str) -> Names:
    try:
        return PROFILES[profile]
    except KeyError:
        raise ValueError(f"unknown IFS profile {profile!r} (known: {', '.join(sorted(PROFILES))})") from None
