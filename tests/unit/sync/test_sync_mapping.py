from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from ml_connector.config import TenantConfig
from ml_connector.sync.catalog import Catalog
from ml_connector.sync.mapping import ProposalDraft, Rejection, map_document


def test_valid_document_maps_to_draft_with_company_code_parts(
        doc: dict[str, Any], tenant: TenantConfig, catalog: Catalog) -> None:
    draft = map_document(doc, tenant, catalog)
    assert isinstance(draft, ProposalDraft)
    assert (draft.company, draft.supplier_id, draft.invoice_id) == ("10", "10005", "inv-1")
    assert draft.header == {
        "SupplierId": "10005", "InvoiceNo": "INV-1", "InvoiceDate": date(2026, 9, 25),
        "DueDate": date(2026, 10, 25), "Currency": "USD", "NetAmount": Decimal("150.00"),
        "VatAmount": Decimal("10.88"), "GrossAmount": Decimal("160.88"), "PayTermId": "NET30",
        "ExternalRef": "inv-1"}
    first, second = draft.rows
    assert (first["Account"], first["CodeB"], first["CodeC"], first["CodeD"]) == ("6000", "CC1001", "PROD", None)
    assert (second["Account"], second["CodeD"]) == ("6100", "PRJ-ERP")  # GL- prefix stripped
    assert all(first[f"Code{p}"] is None for p in "EFGHIJ")
    assert (first["CurrAmount"], first["CurrVatAmount"], first["VatCode"]) == (
        Decimal("100.00"), Decimal("7.25"), "VAT7.25")
    assert first["Text"] == "Basware row 1 - PO PO1"


def test_same_fields_go_to_other_code_parts_in_another_company(
        doc: dict[str, Any], tenant: TenantConfig, catalog: Catalog) -> None:
    doc["companyCode"] = "DE20"
    doc["codingRows"] = [{**doc["codingRows"][0], "costCenterCode": "CC2001", "plant": "P20",
                          "netTotal": "150.00", "taxSum": "10.88", "grossTotal": "160.88",
                          "accountCode": "4000-OLD"}]
    draft = map_document(doc, tenant, catalog)
    assert isinstance(draft, ProposalDraft), draft
    row = draft.rows[0]
    assert (row["Account"], row["CodeB"], row["CodeC"], row["CodeD"]) == ("6000", "P20", "CC2001", None)


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
