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
                          "netTotal": "150.00", "taxSum": "10.88", "grossTotal": "160.88",
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
    doc["grossSum"] = "170.88"
    result = map_document(doc, tenant, catalog)
    assert isinstance(result, Rejection)
    assert [p.code for p in result.problems] == [
        "unknown_account", "invalid_dimension", "invalid_dimension", "unbalanced"]
    assert result.reason_code == "unknown_account"
    assert result.reason.startswith("invoice inv-1 (INV-1): coding row 2: account '9999' does not exist")
    assert "coding row 1: costCenterCode 'CC-NOPE' is not a valid Cost Center (code part B)" in result.reason
    assert "coding row 2: projectCode 'PRJ-X' is not a valid Project (code part D)" in result.reason
    assert "netSum 150.00 + taxSum 10.88 = 160.88, but grossSum is 170.88" in result.reason


def test_rows_not_summing_to_header_net_and_tax(doc: dict[str, Any], tenant: TenantConfig, catalog: Catalog) -> None:
    doc["netSum"], doc["taxSum"], doc["grossSum"] = "140.00", "11.00", "151.00"
    doc["codingRows"][1]["grossTotal"] = "99.99"
    result = map_document(doc, tenant, catalog)
    assert isinstance(result, Rejection)
    messages = [p.message for p in result.problems]
    assert messages == [
        "coding rows carry net 150.00, the invoice netSum is 140.00",
        "coding rows carry tax 10.88, the invoice taxSum is 11.00",
        "coding row 2: netTotal 50.00 + taxSum 3.63 is not grossTotal 99.99",
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
