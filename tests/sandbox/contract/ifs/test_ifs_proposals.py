"""Manual supplier invoices (posting proposals) and their posting rows."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import INVOICES, POSTINGS, ROWS_NAV, Ifs, code_values, error_of, invoice_path

BALANCED = "IfsApp.ManSuppInvoiceHandling.ManSuppInvoiceState'Balanced'"


def rows_path(invoice: dict[str, Any]) -> str:
    return f"{invoice_path(invoice)}/{ROWS_NAV}"


def add_row(ifs: Ifs, invoice: dict[str, Any], **fields: Any) -> Any:
    body = {"CodeA": "6000", "CodeB": "CC1001", "CurrAmount": 100.00, "CurrVatAmount": 7.25, **fields}
    return ifs.post(rows_path(invoice), body)


def state(ifs: Ifs, invoice: dict[str, Any]) -> tuple[str, str]:
    response = ifs.get(invoice_path(invoice))
    return response.json()["Objstate"], response.headers["ETag"]


def test_post_invoice_assigns_ids_per_company_and_defaults(ifs: Ifs) -> None:
    first = ifs.create_invoice(ExternalReference="bw-1")
    second = ifs.create_invoice(ExternalReference="bw-2")
    other = ifs.create_invoice(Company="20", ExternalReference="bw-3")
    assert (first["InvoiceId"], second["InvoiceId"], other["InvoiceId"]) == (1, 2, 1)
    assert first["Objstate"] == "Preliminary"
    assert first["CreatedBy"] == ifs.sim.settings.service_user
    assert (first["Currency"], other["Currency"]) == ("USD", "EUR")
    assert first["PayTermId"].startswith("NET")
    assert first["NetCurrAmount"] == 100 and first["VatCurrAmount"] == 7.25


def test_lookup_by_external_ref(ifs: Ifs) -> None:
    ref = "9f1c2d3e-0000-4000-8000-00000000o'k"
    created = ifs.create_invoice(ExternalReference=ref)
    ifs.create_invoice(ExternalReference="someone-else")
    escaped = ref.replace("'", "''")
    found = ifs.values(INVOICES, **{"$filter": f"Company eq '10' and ExternalReference eq '{escaped}'"})
    assert [f["InvoiceId"] for f in found] == [created["InvoiceId"]]
    assert ifs.values(INVOICES, **{"$filter": "ExternalReference eq 'not-there'"}) == []


def test_ifs_allows_duplicate_external_refs_and_the_sandbox_counts_them(ifs: Ifs) -> None:
    ifs.create_invoice(ExternalReference="dup")
    ifs.create_invoice(ExternalReference="dup")
    ifs.create_invoice(ExternalReference="single")
    assert ifs.sim.proposal_counts() == {"dup": 2, "single": 1}
    assert ifs.sim.duplicate_proposals() == {"dup": 2}
    assert ifs.admin("GET", "/ifs/proposals/external-refs").json() == {"dup": 2, "single": 1}
    assert len(ifs.admin("GET", "/ifs/proposals").json()) == 3


def test_unique_external_ref_setting_rejects_the_second(ifs: Ifs) -> None:
    ifs.admin("PATCH", "/ifs/settings", json={"unique_external_ref": True})
    ifs.create_invoice(ExternalReference="once")
    response = ifs.post(INVOICES, {"Company": "10", "Identity": "10001", "PartyType": "Supplier", "InvoiceNo": "X",
                                   "InvoiceDate": "2026-10-01", "NetCurrAmount": 1, "VatCurrAmount": 0,
                                   "ExternalReference": "once"})
    assert response.status_code == 400 and error_of(response)["code"] == "DATABASE_ERROR"


@pytest.mark.parametrize(("fields", "code", "mentions"), [
    ({"Company": "99"}, "DATABASE_ERROR", "99"),
    ({"Identity": "77777"}, "DATABASE_ERROR", "77777"),
    ({"InvoiceNo": None}, "DATABASE_ERROR", "INVOICE_NO"),
    ({"NetCurrAmount": "100.00"}, "ODP_DESERIALIZATION_ERROR", "NetCurrAmount"),
    ({"InvoiceDate": "20.10.2026"}, "ODP_DESERIALIZATION_ERROR", "InvoiceDate"),
    ({"InvoiceId": 5}, "ODP_DESERIALIZATION_ERROR", "InvoiceId"),
    ({"Objstate": "Balanced"}, "ODP_DESERIALIZATION_ERROR", "Objstate"),
])
def test_invalid_invoices_are_400(ifs: Ifs, fields: dict[str, Any], code: str, mentions: str) -> None:
    body = {"Company": "10", "Identity": "10001", "PartyType": "Supplier", "InvoiceNo": "INV-1",
            "InvoiceDate": "2026-10-20", "NetCurrAmount": 100, "VatCurrAmount": 7.25, **fields}
    response = ifs.post(INVOICES, body)
    assert response.status_code == 400, fields
    error = error_of(response)
    assert error["code"] == code
    assert mentions in str(error)
    assert ifs.values(INVOICES) == []


def test_balanced_when_rows_carry_net_and_vat_and_parent_etag_moves(ifs: Ifs) -> None:
    invoice = ifs.create_invoice(NetCurrAmount=150.10, VatCurrAmount=10.88)
    before = state(ifs, invoice)
    first = add_row(ifs, invoice, CurrAmount=100.05, CurrVatAmount=7.25, Text="Bolts")
    assert first.status_code == 201 and first.json()["RowId"] == 1
    after_first = state(ifs, invoice)
    assert after_first[0] == "Preliminary" and after_first[1] != before[1]
    second = add_row(ifs, invoice, CodeA="6100", CodeB="CC1002", CodeC="QA", CodeD="PRJ-ERP", CodeE="P10",
                     CurrAmount=50.05, CurrVatAmount=3.63)
    assert second.status_code == 201 and second.json()["RowId"] == 2
    balanced = state(ifs, invoice)
    assert balanced[0] == "Balanced" and balanced[1] != after_first[1]
    found = ifs.values(INVOICES, **{"$filter": f"Objstate eq {BALANCED}"})
    assert [f["InvoiceId"] for f in found] == [invoice["InvoiceId"]]


def test_row_patch_and_delete_recompute_the_state(ifs: Ifs) -> None:
    invoice = ifs.create_invoice()
    row = add_row(ifs, invoice).json()
    assert state(ifs, invoice)[0] == "Balanced"
    row_path = f"{POSTINGS}(Company='10',InvoiceId={invoice['InvoiceId']},RowId=1)"
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
    rows = ifs.values(rows_path(invoice), **{"$orderby": "RowId"})
    assert [(r["RowId"], r["CurrAmount"]) for r in rows] == [(1, 60), (2, 40)]
    assert ifs.get(f"{rows_path(invoice)}(RowId=2)").json()["CurrAmount"] == 40
    assert ifs.get(f"{rows_path(invoice)}(RowId=3)").status_code == 404
    by_set = ifs.values(POSTINGS, **{"$filter": f"InvoiceId eq {invoice['InvoiceId']}"})
    assert len(by_set) == 2


def test_gross_is_not_a_property_in_this_profile(ifs: Ifs) -> None:
    response = ifs.post(INVOICES, {"Company": "10", "Identity": "10001", "PartyType": "Supplier", "InvoiceNo": "G",
                                   "InvoiceDate": "2026-10-20", "NetCurrAmount": 1, "VatCurrAmount": 0,
                                   "GrossAmount": 1})
    assert response.status_code == 400 and "GrossAmount" in str(error_of(response))


def test_an_invoice_is_for_a_supplier_party(ifs: Ifs) -> None:
    response = ifs.post(INVOICES, {"Company": "10", "Identity": "10001", "PartyType": "Person", "InvoiceNo": "P",
                                   "InvoiceDate": "2026-10-20", "NetCurrAmount": 1, "VatCurrAmount": 0})
    assert response.status_code == 400 and "PartyType" in str(error_of(response))


@pytest.mark.parametrize(("fields", "named"), [
    ({"CodeA": "9999"}, "9999"),
    ({"CodeB": "CC-DOES-NOT-EXIST"}, "CC-DOES-NOT-EXIST"),
    ({"CodeB": "QA"}, "QA"),  # a department code on the cost-center code part
    ({"CodeF": "ANY"}, "Code part F"),  # code part not used in company 10
    ({"CodeA": None}, "CODE_A"),
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
    error = error_of(add_row(ifs, invoice, CodeA="9999", CodeB="NOPE"))
    assert [d["target"] for d in error["details"]] == ["CodeA", "CodeB"]


def test_code_part_layout_is_per_company(ifs: Ifs) -> None:
    # Company 30 keeps departments on B and cost centers on C.
    invoice = ifs.create_invoice(Company="30")
    assert add_row(ifs, invoice, CodeB="CC3001").status_code == 400
    assert add_row(ifs, invoice, CodeB="QA", CodeC="CC3001").status_code == 201
    parts = ifs.values("CodePartValuesHandling.svc/AccountingCodePartSet",
                       **{"$filter": "Company eq '30' and CodePartUsed eq true", "$orderby": "CodePart"})
    company = ifs.sim.dataset.company("30")
    assert company is not None
    layout = company.code_parts
    assert [(p["CodePart"], p["CodeName"]) for p in parts] == sorted(layout.items())


def test_code_values_written_by_master_data_sync_are_usable_and_dated(ifs: Ifs) -> None:
    cost_centers = code_values("10", "B")
    created = ifs.post(cost_centers, {"CodeB": "cc1099", "Description": "New line", "ValidFrom": "2026-01-01"})
    assert created.status_code == 201 and created.json()["CodeB"] == "CC1099"
    assert created.json()["ValidUntil"] == "9999-12-31" and created.json()["Company"] == "10"
    expired = ifs.post(cost_centers, {"CodeB": "CC1098", "Description": "Closed line", "ValidFrom": "2020-01-01",
                                      "ValidUntil": "2025-12-31"})
    assert expired.status_code == 201
    invoice = ifs.create_invoice(InvoiceDate="2026-10-20")
    assert add_row(ifs, invoice, CodeB="CC1099").status_code == 201
    response = add_row(ifs, invoice, CodeB="CC1098")
    assert response.status_code == 400 and "not valid on 2026-10-20" in error_of(response)["message"]
    assert ifs.post(code_values("10", "F"), {"CodeF": "X", "Description": "unused part"}).status_code == 400
    assert ifs.post(cost_centers, {"CodeB": "CC1099", "Description": "again"}).status_code == 400
    path = f"{cost_centers}(CodeB='CC1099')"
    etag = ifs.get(path).headers["ETag"]
    assert ifs.patch(path, {"Description": "Renamed line"}, etag).status_code == 204
    assert ifs.delete(path, ifs.get(path).headers["ETag"]).status_code == 400  # used on a posting row


def test_code_arrays_under_company_finance(reader: Ifs) -> None:
    rows = reader.values(code_values("10", "B"))
    assert {r["CodeB"] for r in rows} == set(reader.sim.dataset.codes("10", "CostCenter"))
    accounts = reader.values(code_values("20", "A"), **{"$filter": "startswith(CodeA,'61')"})
    assert {r["CodeA"] for r in accounts} == {"6100", "6110"}


def test_deleting_an_invoice_removes_its_rows(ifs: Ifs) -> None:
    invoice = ifs.create_invoice()
    add_row(ifs, invoice)
    assert ifs.delete(invoice_path(invoice), state(ifs, invoice)[1]).status_code == 204
    assert ifs.values(POSTINGS) == []
    assert ifs.get(rows_path(invoice)).status_code == 404
