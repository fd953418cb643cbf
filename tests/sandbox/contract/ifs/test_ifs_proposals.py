"""Manual supplier invoices (posting proposals) and their posting rows."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import CODE_VALUES, INVOICES, POSTINGS, Ifs, error_of, invoice_path

BALANCED = "IfsApp.ManualSupplierInvoiceHandling.ManSuppInvoiceState'Balanced'"


def rows_path(invoice: dict[str, Any]) -> str:
    return f"{invoice_path(invoice)}/PostingProposalArray"


def add_row(ifs: Ifs, invoice: dict[str, Any], **fields: Any) -> Any:
    body = {"Account": "6000", "CodeB": "CC1001", "CurrAmount": 100.00, "CurrVatAmount": 7.25, **fields}
    return ifs.post(rows_path(invoice), body)


def state(ifs: Ifs, invoice: dict[str, Any]) -> tuple[str, str]:
    response = ifs.get(invoice_path(invoice))
    return response.json()["Objstate"], response.headers["ETag"]


def test_post_invoice_assigns_ids_per_company_and_defaults(ifs: Ifs) -> None:
    first = ifs.create_invoice(ExternalRef="bw-1")
    second = ifs.create_invoice(ExternalRef="bw-2")
    other = ifs.create_invoice(Company="20", ExternalRef="bw-3")
    assert (first["InvoiceId"], second["InvoiceId"], other["InvoiceId"]) == (1, 2, 1)
    assert first["Objstate"] == "Preliminary"
    assert first["CreatedBy"] == ifs.sim.settings.service_user
    assert (first["Currency"], other["Currency"]) == ("USD", "EUR")
    assert first["PayTermId"].startswith("NET")
    assert first["NetAmount"] == 100 and first["VatAmount"] == 7.25


def test_lookup_by_external_ref(ifs: Ifs) -> None:
    ref = "9f1c2d3e-0000-4000-8000-00000000o'k"
    created = ifs.create_invoice(ExternalRef=ref)
    ifs.create_invoice(ExternalRef="someone-else")
    escaped = ref.replace("'", "''")
    found = ifs.values(INVOICES, **{"$filter": f"Company eq '10' and ExternalRef eq '{escaped}'"})
    assert [f["InvoiceId"] for f in found] == [created["InvoiceId"]]
    assert ifs.values(INVOICES, **{"$filter": "ExternalRef eq 'not-there'"}) == []


def test_ifs_allows_duplicate_external_refs_and_the_sandbox_counts_them(ifs: Ifs) -> None:
    ifs.create_invoice(ExternalRef="dup")
    ifs.create_invoice(ExternalRef="dup")
    ifs.create_invoice(ExternalRef="single")
    assert ifs.sim.proposal_counts() == {"dup": 2, "single": 1}
    assert ifs.sim.duplicate_proposals() == {"dup": 2}
    assert ifs.admin("GET", "/ifs/proposals/external-refs").json() == {"dup": 2, "single": 1}
    assert len(ifs.admin("GET", "/ifs/proposals").json()) == 3


def test_unique_external_ref_setting_rejects_the_second(ifs: Ifs) -> None:
    ifs.admin("PATCH", "/ifs/settings", json={"unique_external_ref": True})
    ifs.create_invoice(ExternalRef="once")
    response = ifs.post(INVOICES, {"Company": "10", "SupplierId": "10001", "InvoiceNo": "X",
                                   "InvoiceDate": "2026-10-01", "NetAmount": 1, "VatAmount": 0,
                                   "GrossAmount": 1, "ExternalRef": "once"})
    assert response.status_code == 400 and error_of(response)["code"] == "DATABASE_ERROR"


@pytest.mark.parametrize(("fields", "code", "mentions"), [
    ({"Company": "99"}, "DATABASE_ERROR", "99"),
    ({"SupplierId": "77777"}, "DATABASE_ERROR", "77777"),
    ({"InvoiceNo": None}, "DATABASE_ERROR", "INVOICE_NO"),
    ({"NetAmount": "100.00"}, "ODP_DESERIALIZATION_ERROR", "NetAmount"),
    ({"InvoiceDate": "20.10.2026"}, "ODP_DESERIALIZATION_ERROR", "InvoiceDate"),
    ({"InvoiceId": 5}, "ODP_DESERIALIZATION_ERROR", "InvoiceId"),
    ({"Objstate": "Balanced"}, "ODP_DESERIALIZATION_ERROR", "Objstate"),
])
def test_invalid_invoices_are_400(ifs: Ifs, fields: dict[str, Any], code: str, mentions: str) -> None:
    body = {"Company": "10", "SupplierId": "10001", "InvoiceNo": "INV-1", "InvoiceDate": "2026-10-20",
            "NetAmount": 100, "VatAmount": 7.25, "GrossAmount": 107.25, **fields}
    response = ifs.post(INVOICES, body)
    assert response.status_code == 400, fields
    error = error_of(response)
    assert error["code"] == code
    assert mentions in str(error)
    assert ifs.values(INVOICES) == []


def test_balanced_when_rows_carry_net_and_vat_and_parent_etag_moves(ifs: Ifs) -> None:
    invoice = ifs.create_invoice(NetAmount=150.10, VatAmount=10.88, GrossAmount=160.98)
    before = state(ifs, invoice)
    first = add_row(ifs, invoice, CurrAmount=100.05, CurrVatAmount=7.25, Text="Bolts")
    assert first.status_code == 201 and first.json()["RowNo"] == 1
    after_first = state(ifs, invoice)
    assert after_first[0] == "Preliminary" and after_first[1] != before[1]
    second = add_row(ifs, invoice, Account="6100", CodeB="CC1002", CodeC="QA", CodeD="PRJ-ERP", CodeE="P10",
                     CurrAmount=50.05, CurrVatAmount=3.63)
    assert second.status_code == 201 and second.json()["RowNo"] == 2
    balanced = state(ifs, invoice)
    assert balanced[0] == "Balanced" and balanced[1] != after_first[1]
    found = ifs.values(INVOICES, **{"$filter": f"Objstate eq {BALANCED}"})
    assert [f["InvoiceId"] for f in found] == [invoice["InvoiceId"]]


def test_row_patch_and_delete_recompute_the_state(ifs: Ifs) -> None:
    invoice = ifs.create_invoice()
    row = add_row(ifs, invoice).json()
    assert state(ifs, invoice)[0] == "Balanced"
    row_path = f"{POSTINGS}(Company='10',InvoiceId={invoice['InvoiceId']},RowNo=1)"
    single = ifs.get(row_path)
    assert single.status_code == 200 and single.headers["ETag"] == row["@odata.etag"]
    parent_etag = state(ifs, invoice)[1]
    assert ifs.patch(row_path, {"CurrAmount": 90}, row["@odata.etag"]).status_code == 204
    assert state(ifs, invoice)[0] == "Preliminary" and state(ifs, invoice)[1] != parent_etag
    assert ifs.patch(row_path, {"CurrAmount": 100}, row["@odata.etag"]).status_code == 412  # stale row ETag
    fresh = ifs.get(row_path).headers["ETag"]
    assert ifs.patch(row_path, {"CurrAmount": 100}, fresh).status_code == 204
    assert state(ifs, invoice)[0] == "Balanced"
    assert ifs.delete(row_path, ifs.get(row_path).headers["ETag"]).status_code == 204
    assert state(ifs, invoice)[0] == "Preliminary"
    assert ifs.values(rows_path(invoice)) == []


def test_rows_through_navigation_with_and_without_the_row_key(ifs: Ifs) -> None:
    invoice = ifs.create_invoice()
    add_row(ifs, invoice, CurrAmount=60, CurrVatAmount=4)
    add_row(ifs, invoice, CurrAmount=40, CurrVatAmount=3.25)
    other = ifs.create_invoice(InvoiceNo="OTHER")
    add_row(ifs, other)
    rows = ifs.values(rows_path(invoice), **{"$orderby": "RowNo"})
    assert [(r["RowNo"], r["CurrAmount"]) for r in rows] == [(1, 60), (2, 40)]
    assert ifs.get(f"{rows_path(invoice)}(RowNo=2)").json()["CurrAmount"] == 40
    assert ifs.get(f"{rows_path(invoice)}(RowNo=3)").status_code == 404
    by_set = ifs.values(POSTINGS, **{"$filter": f"InvoiceId eq {invoice['InvoiceId']}"})
    assert len(by_set) == 2


def test_gross_mismatch_stays_preliminary(ifs: Ifs) -> None:
    invoice = ifs.create_invoice(GrossAmount=117.25)  # net + vat = 107.25
    add_row(ifs, invoice)
    assert state(ifs, invoice)[0] == "Preliminary"
    fixed = ifs.patch(invoice_path(invoice), {"GrossAmount": 107.25}, state(ifs, invoice)[1])
    assert fixed.status_code == 204
    assert state(ifs, invoice)[0] == "Balanced"


@pytest.mark.parametrize(("fields", "named"), [
    ({"Account": "9999"}, "9999"),
    ({"CodeB": "CC-DOES-NOT-EXIST"}, "CC-DOES-NOT-EXIST"),
    ({"CodeB": "QA"}, "QA"),  # a department code on the cost-center code part
    ({"CodeF": "ANY"}, "Code part F"),  # code part not used in company 10
    ({"Account": None}, "ACCOUNT"),
    ({"CurrAmount": None}, "CURR_AMOUNT"),
])
def test_row_codes_are_validated_and_the_error_names_the_value(ifs: Ifs, fields: dict[str, Any],
                                                                named: str) -> None:
    invoice = ifs.create_invoice()
    response = add_row(ifs, invoice, **fields)
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "DATABASE_ERROR"
    assert named in error["message"]
    assert ifs.values(rows_path(invoice)) == []


def test_every_invalid_code_is_listed_in_details(ifs: Ifs) -> None:
    invoice = ifs.create_invoice()
    error = error_of(add_row(ifs, invoice, Account="9999", CodeB="NOPE"))
    assert [d["target"] for d in error["details"]] == ["Account", "CodeB"]


def test_code_part_layout_is_per_company(ifs: Ifs) -> None:
    # Company 30 keeps departments on B and cost centers on C.
    invoice = ifs.create_invoice(Company="30")
    assert add_row(ifs, invoice, CodeB="CC3001").status_code == 400
    assert add_row(ifs, invoice, CodeB="QA", CodeC="CC3001").status_code == 201
    parts = ifs.values("AccountingCodePartsHandling.svc/AccountingCodePartSet",
                       **{"$filter": "Company eq '30' and CodePartUsed eq true", "$orderby": "CodePart"})
    company = ifs.sim.dataset.company("30")
    assert company is not None
    layout = company.code_parts
    assert [(p["CodePart"], p["CodeName"]) for p in parts] == sorted(layout.items())


def test_code_values_written_by_master_data_sync_are_usable_and_dated(ifs: Ifs) -> None:
    created = ifs.post(CODE_VALUES, {"Company": "10", "CodePart": "B", "CodePartValue": "cc1099",
                                     "Description": "New line", "ValidFrom": "2026-01-01"})
    assert created.status_code == 201 and created.json()["CodePartValue"] == "CC1099"
    assert created.json()["ValidUntil"] == "9999-12-31"
    expired = ifs.post(CODE_VALUES, {"Company": "10", "CodePart": "B", "CodePartValue": "CC1098",
                                     "Description": "Closed line", "ValidFrom": "2020-01-01",
                                     "ValidUntil": "2025-12-31"})
    assert expired.status_code == 201
    invoice = ifs.create_invoice(InvoiceDate="2026-10-20")
    assert add_row(ifs, invoice, CodeB="CC1099").status_code == 201
    response = add_row(ifs, invoice, CodeB="CC1098")
    assert response.status_code == 400 and "not valid on 2026-10-20" in error_of(response)["message"]
    assert ifs.post(CODE_VALUES, {"Company": "10", "CodePart": "F", "CodePartValue": "X",
                                  "Description": "unused part"}).status_code == 400
    assert ifs.post(CODE_VALUES, {"Company": "10", "CodePart": "B", "CodePartValue": "CC1099",
                                  "Description": "again"}).status_code == 400
    path = f"{CODE_VALUES}(Company='10',CodePart='B',CodePartValue='CC1099')"
    etag = ifs.get(path).headers["ETag"]
    assert ifs.patch(path, {"Description": "Renamed line"}, etag).status_code == 204
    assert ifs.delete(path, ifs.get(path).headers["ETag"]).status_code == 400  # used on a posting row


def test_code_arrays_under_company_finance(reader: Ifs) -> None:
    rows = reader.values("CodePartValuesHandling.svc/CompanyFinanceSet(Company='10')/CodeBArray")
    assert {r["CodePartValue"] for r in rows} == set(reader.sim.dataset.codes("10", "CostCenter"))
    accounts = reader.values("CodePartValuesHandling.svc/CompanyFinanceSet(Company='20')/CodeAArray",
                             **{"$filter": "startswith(CodePartValue,'61')"})
    assert {r["CodePartValue"] for r in accounts} == {"6100", "6110"}


def test_deleting_an_invoice_removes_its_rows(ifs: Ifs) -> None:
    invoice = ifs.create_invoice()
    add_row(ifs, invoice)
    assert ifs.delete(invoice_path(invoice), state(ifs, invoice)[1]).status_code == 204
    assert ifs.values(POSTINGS) == []
    assert ifs.get(rows_path(invoice)).status_code == 404
