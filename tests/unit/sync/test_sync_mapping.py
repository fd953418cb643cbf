from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from ml_connector.config import TenantConfig
from ml_connector.field_map import load_field_map
from ml_connector.sync.catalog import Catalog
from ml_connector.sync.mapping import ProposalDraft, Rejection, map_document


def test_valid_document_maps_to_draft_with_company_code_parts(
        doc: dict[str, Any], tenant: TenantConfig, catalog: Catalog) -> None:
    draft = map_document(doc, tenant, catalog)
    assert isinstance(draft, ProposalDraft)
    assert (draft.company, draft.supplier_id, draft.invoice_id) == ("10", "10005", "inv-1")
    assert draft.header == {  # logical roles: the tenant's field map names them in IFS
        "supplier": "10005", "invoice_no": "INV-1", "invoice_date": date(2026, 9, 25),
        "due_date": date(2026, 10, 25), "currency": "USD", "net": Decimal("150.00"),
        "vat": Decimal("10.88"), "gross": Decimal("160.88"), "pay_term": "NET30", "external_ref": "inv-1"}
    first, second = draft.rows
    assert (first["A"], first["B"], first["C"], first["D"]) == ("6000", "CC1001", "PROD", None)
    assert (second["A"], second["D"]) == ("6100", "PRJ-ERP")  # GL- prefix stripped
    assert all(first[p] is None for p in "EFGHIJ")
    assert (first["amount"], first["vat_amount"], first["vat_code"]) == (Decimal("100.00"), Decimal("7.25"), "VAT7.25")
    assert first["text"] == "Basware row 1 - PO PO1"


def test_the_draft_is_sent_in_the_names_of_the_tenants_profile(
        doc: dict[str, Any], tenant: TenantConfig, catalog: Catalog) -> None:
    draft = map_document(doc, tenant, catalog)
    assert isinstance(draft, ProposalDraft)
    cloud, apps10 = load_field_map("ifs-cloud").posting_proposals, load_field_map("ifs-apps10").posting_proposals
    header = cloud.header_body(draft.company, draft.header)
    assert (header["Identity"], header["PartyType"], header["NetCurrAmount"], header["ExternalReference"]) == (
        "10005", "Supplier", Decimal("150.00"), "inv-1")
    assert "GrossAmount" not in header and "SupplierId" not in header  # this release derives gross itself
    old = apps10.header_body(draft.company, draft.header)
    assert (old["SupplierId"], old["NetAmount"], old["GrossAmount"], old["ExternalRef"]) == (
        "10005", Decimal("150.00"), Decimal("160.88"), "inv-1")
    assert "PartyType" not in old
    assert cloud.row_body(draft.rows[0])["CodeA"] == apps10.row_body(draft.rows[0])["Account"] == "6000"


def test_same_fields_go_to_other_code_parts_in_another_company(
        doc: dict[str, Any], tenant: TenantConfig, catalog: Catalog) -> None:
    doc["companyCode"] = "DE20"
    doc["codingRows"] = [{**doc["codingRows"][0], "costCenterCode": "CC2001", "plant": "P20",
                          "netTotal": Decimal("150.00"), "taxSum": Decimal("10.88"),
                          "grossTotal": Decimal("160.88"),
                          "accountCode": "4000-OLD"}]
    draft = map_document(doc, tenant, catalog)
    assert isinstance(draft, ProposalDraft), draft
    row = draft.rows[0]
    assert (row["A"], row["B"], row["C"], row["D"]) == ("6000", "P20", "CC2001", None)


def test_every_problem_of_a_document_is_collected(
        doc: dict[str, Any], tenant: TenantConfig, catalog: Catalog) -> None:
    doc["codingRows"][0]["costCenterCode"] = "CC-NOPE"
    doc["codingRows"][1]["accountCode"] = "9999"
    doc["codingRows"][1]["projectCode"] = "PRJ-X"
    doc["grossSum"] = Decimal("170.88")
    result = map_document(doc, tenant, catalog)
    assert isinstance(result, Rejection)
    assert [p.code for p in result.problems] == [
        "unknown_account", "invalid_dimension", "invalid_dimension", "unbalanced"]
    assert result.reason_code == "unknown_account"
    assert result.reason.startswith("invoice inv-1 (INV-1): coding row 2: account '9999' does not exist")
    assert "coding row 1: costCenterCode 'CC-NOPE' is not a valid Cost Center (code part B)" in result.reason
    assert "coding row 2: projectCode 'PRJ-X' is not a valid Project (code part D)" in result.reason
    assert "taxSum1 10.88 + taxSum2 (absent) = 10.88, but grossSum 170.88 - netSum 150.00 = 20.88" \
        in result.reason


def test_rows_not_summing_to_header_net_and_tax(doc: dict[str, Any], tenant: TenantConfig, catalog: Catalog) -> None:
    doc["netSum"], doc["taxSum1"], doc["grossSum"] = Decimal("140.00"), Decimal("11.00"), Decimal("151.00")
    doc["codingRows"][1]["grossTotal"] = Decimal("99.99")
    result = map_document(doc, tenant, catalog)
    assert isinstance(result, Rejection)
    messages = [p.message for p in result.problems]
    assert messages == [
        "coding rows carry net 150.00, the invoice netSum is 140.00",
        "coding rows carry tax 10.88 (taxSum + taxSum2), the invoice taxSum1 + taxSum2 is 11.00",
        "coding row 2: netTotal 50.00 + taxSum 3.63 + taxSum2 (absent) is not grossTotal 99.99",
    ]


def test_value_expired_on_the_invoice_date(doc: dict[str, Any], tenant: TenantConfig, catalog: Catalog) -> None:
    doc["codingRows"][0]["costCenterCode"] = "CC-OLD"
    result = map_document(doc, tenant, catalog)
    assert isinstance(result, Rejection)
    assert "is not valid on 2026-09-25" in result.reason


def test_malformed_document_names_each_field(doc: dict[str, Any], tenant: TenantConfig, catalog: Catalog) -> None:
    doc["grossSum"] = "twelve hundred"
    doc["invoiceDate"] = "25.09.2026"
    del doc["supplierCode"]
    doc["codingRows"][0]["netTotal"] = "abc"
    result = map_document(doc, tenant, catalog)
    assert isinstance(result, Rejection) and result.reason_code == "malformed"
    fields = [p.field for p in result.problems]
    assert fields == ["grossSum", "codingRows.0.netTotal", "supplierCode", "invoiceDate"]
    assert "grossSum: Input should be a valid decimal (got 'twelve hundred')" in result.reason
    assert "required field supplierCode is missing" in result.reason


def test_unknown_company_code(doc: dict[str, Any], tenant: TenantConfig, catalog: Catalog) -> None:
    doc["companyCode"] = "XX99"
    result = map_document(doc, tenant, catalog)
    assert isinstance(result, Rejection) and result.reason_code == "unknown_company"
    assert "Basware company code 'XX99' is not mapped to an IFS company (mapped: DE20, US10)" in result.reason


def test_company_ifs_does_not_show(doc: dict[str, Any], tenant: TenantConfig) -> None:
    result = map_document(doc, tenant, Catalog({}, {}))
    assert isinstance(result, Rejection) and result.reason_code == "unknown_company"
    assert "service user is not granted it" in result.reason


def test_document_without_rows(doc: dict[str, Any], tenant: TenantConfig, catalog: Catalog) -> None:
    doc["codingRows"] = []
    result = map_document(doc, tenant, catalog)
    assert isinstance(result, Rejection) and [p.message for p in result.problems] == ["has no coding rows"]


def test_tax_is_taxsum1_alone_when_taxsum2_is_absent_or_null(
        doc: dict[str, Any], tenant: TenantConfig, catalog: Catalog) -> None:
    assert "taxSum2" not in doc and "taxSum" not in doc  # a real header: no taxSum at all
    draft = map_document(doc, tenant, catalog)
    assert isinstance(draft, ProposalDraft), draft
    assert draft.header["vat"] == Decimal("10.88")
    assert [r["vat_amount"] for r in draft.rows] == [Decimal("7.25"), Decimal("3.63")]
    doc["taxSum2"] = None
    doc["codingRows"][0]["taxSum2"] = None
    again = map_document(doc, tenant, catalog)
    assert isinstance(again, ProposalDraft) and again.header["vat"] == Decimal("10.88")


def test_tax_is_taxsum1_plus_taxsum2(doc: dict[str, Any], tenant: TenantConfig, catalog: Catalog) -> None:
    # 100.00 at 7.25 % plus a second tax of 2.00 on the same row; 50.00 at 7.25 %.
    doc["taxSum1"], doc["taxPercent2"], doc["taxSum2"] = Decimal("10.88"), Decimal("2"), Decimal("2.00")
    doc["grossSum"] = Decimal("162.88")
    row = doc["codingRows"][0]
    row["taxPercent2"], row["taxSum2"], row["grossTotal"] = Decimal("2"), Decimal("2.00"), Decimal("109.25")
    draft = map_document(doc, tenant, catalog)
    assert isinstance(draft, ProposalDraft), draft
    assert (draft.header["net"], draft.header["vat"], draft.header["gross"]) == (
        Decimal("150.00"), Decimal("12.88"), Decimal("162.88"))
    assert [r["vat_amount"] for r in draft.rows] == [Decimal("9.25"), Decimal("3.63")]


def test_no_tax_at_all_is_zero_when_gross_equals_net(
        doc: dict[str, Any], tenant: TenantConfig, catalog: Catalog) -> None:
    del doc["taxSum1"]
    doc["grossSum"] = Decimal("150.00")
    for row in doc["codingRows"]:
        row["taxSum"], row["grossTotal"] = None, row["netTotal"]
    draft = map_document(doc, tenant, catalog)
    assert isinstance(draft, ProposalDraft), draft
    assert draft.header["vat"] == Decimal(0)


def test_tax_not_matching_gross_minus_net_is_quarantined_with_the_figures(
        doc: dict[str, Any], tenant: TenantConfig, catalog: Catalog) -> None:
    doc["taxSum2"] = Decimal("1.00")  # 10.88 + 1.00 is not 160.88 - 150.00
    result = map_document(doc, tenant, catalog)
    assert isinstance(result, Rejection) and result.reason_code == "unbalanced"
    assert result.reason.startswith("invoice inv-1 (INV-1): taxSum1 10.88 + taxSum2 1.00 = 11.88, "
                                    "but grossSum 160.88 - netSum 150.00 = 10.88")


def test_a_tax_figure_that_is_not_an_amount_is_malformed(
        doc: dict[str, Any], tenant: TenantConfig, catalog: Catalog) -> None:
    doc["taxSum1"] = "ten"
    result = map_document(doc, tenant, catalog)
    assert isinstance(result, Rejection) and result.reason_code == "malformed"
    assert "taxSum1" in result.reason


def test_the_documents_these_tests_map_are_spec_shaped(doc: dict[str, Any]) -> None:
    """The hand-built invoice is a valid AccountingDocumentEntity (taxSum1 only, then taxSum1 + taxSum2)."""
    from basware_contract_spec import assert_valid, load_spec, require_spec

    require_spec()
    spec = load_spec()
    ref = spec.schema_ref("p2p", "AccountingDocumentEntity")
    assert_valid(spec, ref, doc, "the test invoice")
    doc["taxPercent2"], doc["taxSum2"] = Decimal("2"), Decimal("2.00")
    doc["codingRows"][0].update(taxPercent2=Decimal("2"), taxSum2=Decimal("2.00"))
    assert_valid(spec, ref, doc, "the test invoice with a second tax")
