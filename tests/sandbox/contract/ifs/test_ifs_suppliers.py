"""Suppliers: POST creates (201 + ETag + Location), business rules, per-company supplier data."""

from __future__ import annotations

from .conftest import SUPPLIERS, Ifs, error_of

COMPANIES_NAV = "SupplierInvoiceCompanies"  # per-company supplier data, reached from the supplier


def companies_of(supplier_id: str) -> str:
    return f"{SUPPLIERS}(SupplierId='{supplier_id}')/{COMPANIES_NAV}"


def test_post_creates_with_201_etag_and_location(ifs: Ifs) -> None:
    response = ifs.post(SUPPLIERS, {"SupplierId": "20001", "Name": "Nordic Bearings AB", "Country": "SE",
                                    "Currency": "SEK", "AssociationNo": "SE556000000101"})
    assert response.status_code == 201
    body = response.json()
    assert response.headers["ETag"] == body["@odata.etag"]
    assert response.headers["Location"].endswith(f"/{SUPPLIERS}(SupplierId='20001')")
    assert body["@odata.context"].endswith("#SupplierInfoGeneralSet/$entity")
    assert body["CreationDate"] == ifs.sim.clock.now().date().isoformat()
    assert body["ModifiedDate"].endswith("Z")
    defaults = (body["PartyType"], body["SupplierCategory"], body["OneTimeSupplier"])
    assert defaults == ("Supplier", "Supplier", False)
    read = ifs.session.get(response.headers["Location"], timeout=10)
    assert read.status_code == 200 and read.headers["ETag"] == response.headers["ETag"]


def test_post_with_return_minimal_is_204_with_location(ifs: Ifs) -> None:
    response = ifs.post(SUPPLIERS, {"SupplierId": "20002", "Name": "Minimal Oy"},
                        headers={"Prefer": "return=minimal"})
    assert response.status_code == 204
    assert response.headers["Location"].endswith("(SupplierId='20002')")
    assert response.headers["ETag"].startswith('W/"')


def test_supplier_ids_are_upper_cased_like_ifs_keys(ifs: Ifs) -> None:
    created = ifs.post(SUPPLIERS, {"SupplierId": "ab-12", "Name": "Lower Case Ltd."})
    assert created.json()["SupplierId"] == "AB-12"


def test_duplicate_supplier_is_a_business_error(ifs: Ifs) -> None:
    response = ifs.post(SUPPLIERS, {"SupplierId": "10001", "Name": "Again"})
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "DATABASE_ERROR" and "10001" in error["message"]
    assert error["details"][0]["message"].startswith("ORA-20")


def test_mandatory_fields_and_bad_values(ifs: Ifs) -> None:
    response = ifs.post(SUPPLIERS, {"SupplierId": "20003"})
    assert response.status_code == 400 and "NAME" in error_of(response)["message"]
    response = ifs.post(SUPPLIERS, {"SupplierId": "20003", "Name": "x", "Country": "Sweden"})
    assert response.status_code == 400 and error_of(response)["code"] == "DATABASE_ERROR"
    response = ifs.post(SUPPLIERS, {"SupplierId": "20003", "Name": "x" * 101})
    assert response.status_code == 400 and "too long" in error_of(response)["message"]
    response = ifs.post(SUPPLIERS, {"SupplierId": "20003", "Name": "x", "CreationDate": "2020-01-01"})
    assert response.status_code == 400 and error_of(response)["code"] == "ODP_DESERIALIZATION_ERROR"


def test_supplier_company_rows_come_from_the_seed(reader: Ifs) -> None:
    seed = reader.sim.dataset.ifs_suppliers[5]
    rows = reader.values(companies_of(seed.supplier_id), **{"$orderby": "Company"})
    assert [r["Company"] for r in rows] == list(seed.companies)
    assert all(r["PayTermId"].startswith("NET") and r["Currency"] == seed.currency for r in rows)
    single = reader.get(f"{companies_of(seed.supplier_id)}(Company='{seed.companies[0]}')")
    assert single.status_code == 200 and single.json()["SupplierId"] == seed.supplier_id


def test_supplier_company_post_checks_supplier_and_company(ifs: Ifs) -> None:
    assert ifs.post(SUPPLIERS, {"SupplierId": "20004", "Name": "New Vendor"}).status_code == 201
    created = ifs.post(companies_of("20004"), {"Company": "20", "PayTermId": "NET60"})
    assert created.status_code == 201 and created.json()["Currency"] is None
    assert created.json()["SupplierId"] == "20004"
    assert ifs.post(companies_of("NOPE"), {"Company": "20"}).status_code == 404  # no such supplier
    assert ifs.post(companies_of("20004"), {"Company": "99"}).status_code == 400
    assert ifs.post(companies_of("20004"), {"Company": "20"}).status_code == 400  # exists


def test_deleting_a_supplier_with_invoices_is_refused(ifs: Ifs) -> None:
    ifs.create_invoice(Identity="10002")
    entity = ifs.get(f"{SUPPLIERS}('10002')")
    response = ifs.delete(f"{SUPPLIERS}('10002')", entity.headers["ETag"])
    assert response.status_code == 400 and error_of(response)["code"] == "DATABASE_ERROR"
