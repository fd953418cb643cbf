"""$expand: one-to-one references inline (IFS expands nothing else); a collection navigation is a 400."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import INVOICES, POSTINGS, Ifs, error_of, invoice_path

ROW = {"CodeA": "6000", "CodeB": "CC1001", "CurrAmount": 100.00, "CurrVatAmount": 7.25}


@pytest.fixture(scope="module")
def invoice(reader: Ifs) -> dict[str, Any]:
    created = reader.create_invoice(InvoiceNo="EXP-1", ExternalReference="exp-1")
    assert reader.post(f"{invoice_path(created)}/ManSuppInvoicePostingsArray", ROW).status_code == 201
    return created


def row_path(invoice: dict[str, Any]) -> str:
    return f"{POSTINGS}(Company='{invoice['Company']}',InvoiceId={invoice['InvoiceId']},RowId=1)"


def test_expand_a_one_to_one_reference_on_a_collection(reader: Ifs, invoice: dict[str, Any]) -> None:
    rows = reader.values(POSTINGS, **{"$filter": f"InvoiceId eq {invoice['InvoiceId']} and Company eq '10'",
                                      "$expand": "InvoiceRef"})
    [row] = rows
    ref = row["InvoiceRef"]
    assert ref["InvoiceNo"] == "EXP-1" and ref["InvoiceId"] == invoice["InvoiceId"]
    assert ref["@odata.etag"] == reader.get(invoice_path(invoice)).headers["ETag"]


def test_expand_with_select_on_a_single_entity(reader: Ifs, invoice: dict[str, Any]) -> None:
    body = reader.get(row_path(invoice), params={"$expand": "InvoiceRef($select=InvoiceNo,ExternalReference)",
                                                 "$select": "RowId"}).json()
    assert body["RowId"] == 1
    assert set(body["InvoiceRef"]) == {"@odata.etag", "luname", "keyref", "InvoiceNo", "ExternalReference"}


def test_a_one_to_one_reference_is_addressable(reader: Ifs, invoice: dict[str, Any]) -> None:
    response = reader.get(f"{row_path(invoice)}/InvoiceRef")
    assert response.status_code == 200
    assert response.json()["InvoiceNo"] == "EXP-1" and response.headers["ETag"]


def test_expanding_a_collection_navigation_is_a_clear_400(reader: Ifs, invoice: dict[str, Any]) -> None:
    response = reader.get(INVOICES, params={"$expand": "ManSuppInvoicePostingsArray"})
    assert response.status_code == 400
    message = error_of(response)["details"][0]["message"]
    assert "ManSuppInvoicePostingsArray is a collection navigation" in message and "one-to-one" in message


@pytest.mark.parametrize(("expand", "message"), [
    ("Nope", "navigation property 'Nope' does not exist"),
    ("InvoiceRef($top=1)", "only $select is supported inside $expand"),
    ("InvoiceRef($select=Nope)", "property 'Nope' does not exist"),
    ("InvoiceRef(", "malformed $expand"),
    ("InvoiceRef,", "malformed $expand"),
])
def test_bad_expand_is_400(reader: Ifs, invoice: dict[str, Any], expand: str, message: str) -> None:
    response = reader.get(POSTINGS, params={"$expand": expand})
    assert response.status_code == 400
    assert message in error_of(response)["details"][0]["message"]


def test_metadata_declares_the_reference_single_valued(reader: Ifs) -> None:
    text = reader.get("ManSuppInvoiceHandling.svc/$metadata").text
    assert '<NavigationProperty Name="InvoiceRef" Type="IfsApp.ManSuppInvoiceHandling.ManSuppInvoice"' in text
    assert 'Type="Collection(IfsApp.ManSuppInvoiceHandling.ManSuppInvoicePosting)"' in text
