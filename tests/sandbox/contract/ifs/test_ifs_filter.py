"""$filter over HTTP: every operator, literal type and error, checked against the seed data."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest

from .conftest import INVOICES, SUPPLIERS, Ifs, error_of

PERSON = "IfsApp.SupplierHandling.PartyType'Person'"


@pytest.fixture(scope="module")
def data(reader: Ifs) -> Ifs:
    """Seed suppliers plus a few rows made for the edge cases (quotes, booleans, amounts, nulls)."""
    for supplier_id, name, one_time in (("Q1", "O'Brien Tools", True), ("Q2", "Smith & Sons", False)):
        body = {"SupplierId": supplier_id, "Name": name, "Country": "GB", "OneTimeSupplier": one_time}
        assert reader.post(SUPPLIERS, body).status_code == 201
    for n, (net, due) in enumerate(((100, "2026-11-20"), (250.5, None), (999.99, "2026-12-01")), start=1):
        vat = round(net * 0.1, 2)
        reader.create_invoice(InvoiceNo=f"F-{n}", NetCurrAmount=net, VatCurrAmount=vat, DueDate=due,
                              ExternalReference=f"ref-{n}")
    return reader


def ids(ifs: Ifs, flt: str, path: str = SUPPLIERS, key: str = "SupplierId") -> set[Any]:
    response = ifs.get(path, params={"$filter": flt})
    assert response.status_code == 200, response.text
    return {row[key] for row in response.json()["value"]}


def seed_ids(ifs: Ifs, predicate: Any) -> set[str]:
    return {s.supplier_id for s in ifs.sim.dataset.ifs_suppliers if predicate(s)}


def test_eq_and_ne_on_strings(data: Ifs) -> None:
    assert ids(data, "Country eq 'US'") == seed_ids(data, lambda s: s.country == "US")
    assert ids(data, "Country ne 'US'") == seed_ids(data, lambda s: s.country != "US") | {"Q1", "Q2"}


@pytest.mark.parametrize(("op", "check"), [
    ("gt", lambda a, b: a > b), ("ge", lambda a, b: a >= b),
    ("lt", lambda a, b: a < b), ("le", lambda a, b: a <= b),
])
def test_ordering_operators_on_strings(data: Ifs, op: str, check: Any) -> None:
    expected = seed_ids(data, lambda s: check(s.supplier_id, "10150"))
    expected |= {q for q in ("Q1", "Q2") if check(q, "10150")}
    assert ids(data, f"SupplierId {op} '10150'") == expected


def test_and_or_not_and_parentheses(data: Ifs) -> None:
    expected = seed_ids(data, lambda s: s.country == "DE"
                        and not (s.currency == "EUR" or s.name.startswith("A")))
    assert ids(data, "Country eq 'DE' and not (Currency eq 'EUR' or startswith(Name,'A'))") == expected
    expected = seed_ids(data, lambda s: (s.country == "US" or s.country == "MX") and s.name.endswith("Inc."))
    assert ids(data, "(Country eq 'US' or Country eq 'MX') and endswith(Name,'Inc.')") == expected
    # and binds tighter than or
    expected = seed_ids(data, lambda s: s.country == "SE" or (s.country == "FI" and s.currency == "EUR"))
    assert ids(data, "Country eq 'SE' or Country eq 'FI' and Currency eq 'EUR'") == expected


def test_string_functions(data: Ifs) -> None:
    assert ids(data, "contains(Name,'Steel')") == seed_ids(data, lambda s: "Steel" in s.name)
    assert ids(data, "startswith(Name,'Apex')") == seed_ids(data, lambda s: s.name.startswith("Apex"))
    assert ids(data, "endswith(Name,'GmbH')") == seed_ids(data, lambda s: s.name.endswith("GmbH"))
    assert ids(data, "not contains(Name,'e')") == seed_ids(data, lambda s: "e" not in s.name) | {"Q2"}
    assert ids(data, "contains(tolower(Name),'steel')") == seed_ids(data, lambda s: "steel" in s.name.lower())


def test_quotes_are_escaped_by_doubling(data: Ifs) -> None:
    assert ids(data, "Name eq 'O''Brien Tools'") == {"Q1"}
    assert ids(data, "contains(Name,'''')") == {"Q1"}
    assert ids(data, "Name eq 'Smith & Sons'") == {"Q2"}  # & travels URL-encoded


def test_boolean_literals_and_bare_boolean_properties(data: Ifs) -> None:
    assert ids(data, "OneTimeSupplier eq true") == {"Q1"}
    assert ids(data, "OneTimeSupplier") == {"Q1"}
    assert len(ids(data, "OneTimeSupplier eq false")) == len(data.sim.dataset.ifs_suppliers) + 1


def test_typed_enum_literals(data: Ifs) -> None:
    persons = seed_ids(data, lambda s: int(s.supplier_id) % 17 == 0)
    assert persons and ids(data, f"PartyType eq {PERSON}") == persons
    assert ids(data, f"PartyType ne {PERSON} and startswith(SupplierId,'Q')") == {"Q1", "Q2"}


def test_datetimeoffset_literals_are_unquoted_with_zone_fraction_and_offset(data: Ifs) -> None:
    cut = datetime(2025, 6, 1, tzinfo=UTC)
    expected = seed_ids(data, lambda s: s.modified_date > cut) | {"Q1", "Q2"}  # created now (simulated)
    assert ids(data, "ModifiedDate gt 2025-06-01T00:00:00Z") == expected
    assert ids(data, "ModifiedDate gt 2025-06-01T00:00:00.000Z") == expected
    assert ids(data, "ModifiedDate gt 2025-06-01T02:00:00+02:00") == expected
    assert ids(data, "ModifiedDate gt 2025-05-31T19:00:00.5-05:00") == seed_ids(
        data, lambda s: s.modified_date > datetime(2025, 6, 1, 0, 0, 0, 500000, tzinfo=UTC)) | {"Q1", "Q2"}
    not_after = seed_ids(data, lambda s: s.modified_date <= cut)
    assert ids(data, "ModifiedDate le 2025-06-01T00:00:00Z") == not_after


def test_date_literals(data: Ifs) -> None:
    expected = seed_ids(data, lambda s: s.creation_date.date() >= date(2025, 1, 1)) | {"Q1", "Q2"}
    assert ids(data, "CreationDate ge 2025-01-01") == expected


def test_numbers_and_null(data: Ifs) -> None:
    assert ids(data, "NetCurrAmount gt 100", INVOICES, "InvoiceNo") == {"F-2", "F-3"}
    assert ids(data, "NetCurrAmount eq 250.50", INVOICES, "InvoiceNo") == {"F-2"}
    between = ids(data, "NetCurrAmount le 999.99 and NetCurrAmount ge 100.0", INVOICES, "InvoiceNo")
    assert between == {"F-1", "F-2", "F-3"}
    assert ids(data, "InvoiceId eq 2", INVOICES, "InvoiceNo") == {"F-2"}
    assert ids(data, "DueDate eq null", INVOICES, "InvoiceNo") == {"F-2"}
    assert ids(data, "DueDate ne null", INVOICES, "InvoiceNo") == {"F-1", "F-3"}
    assert ids(data, "DueDate gt 2026-11-25", INVOICES, "InvoiceNo") == {"F-3"}  # null never orders
    rows = data.values(INVOICES, **{"$filter": "ExternalReference eq 'ref-2'"})
    assert [Decimal(str(r["VatCurrAmount"])) for r in rows] == [Decimal("25.05")]


def test_url_encoded_plus_in_an_offset_works_and_a_raw_plus_is_rejected(data: Ifs) -> None:
    encoded = data.api(SUPPLIERS) + "?$filter=ModifiedDate%20gt%202025-06-01T02:00:00%2B02:00"
    assert data.session.get(encoded, timeout=10).status_code == 200
    raw = data.api(SUPPLIERS) + "?$filter=ModifiedDate%20gt%202025-06-01T02:00:00+02:00"
    response = data.session.get(raw, timeout=10)
    assert response.status_code == 400  # '+' in a query string means space
    assert "%2B" in error_of(response)["details"][0]["message"]


@pytest.mark.parametrize("flt", [
    "NoSuchField eq 1",
    "Name eq",
    "Name eq 'unterminated",
    "Name eq 'x' and",
    "(Name eq 'x'",
    "Name eq 'x')",
    "Name EQ 'x'",
    "ModifiedDate gt '2026-01-01T00:00:00Z'",
    "ModifiedDate gt 2026-01-01T00:00:00",
    "ModifiedDate gt 2026-13-01T00:00:00Z",
    "PartyType eq 'Person'",
    "PartyType eq IfsApp.SupplierHandling.PartyType'Robot'",
    "PartyType eq IfsApp.Other.PartyType'Person'",
    "PartyType gt IfsApp.SupplierHandling.PartyType'Person'",
    "Name eq 1",
    "OneTimeSupplier eq 'true'",
    "Name",
    "Name and Country eq 'US'",
    "substringof('x',Name)",
    "contains(Name)",
    "Country in ('US','DE')",
    "Name eq 'x' # comment",
    "",
])
def test_malformed_filters_are_400_with_an_ifs_error(data: Ifs, flt: str) -> None:
    response = data.get(SUPPLIERS, params={"$filter": flt})
    assert response.status_code == 400, flt
    error = error_of(response)
    assert error["code"] == "ODP_BAD_REQUEST"
    assert error["message"] == "Malformed Request."
    assert error["details"][0]["target"] == "$filter"
    assert error["details"][0]["message"]


def test_unknown_property_error_names_it(data: Ifs) -> None:
    response = data.get(SUPPLIERS, params={"$filter": "Nmae eq 'x'"})
    assert "'Nmae'" in error_of(response)["details"][0]["message"]
