"""Addressing, service document, $metadata, error bodies, request ids, request log, system fields."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
import requests

from .conftest import INVOICES, SUPPLIERS, Ifs, decode_etag, error_of, invoice_path

EDM = "{http://docs.oasis-open.org/odata/ns/edm}"


def test_collection_shape_and_content_type(reader: Ifs) -> None:
    response = reader.get(SUPPLIERS, params={"$top": 3})
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json;odata.metadata=minimal"
    assert response.headers["OData-Version"] == "4.0"
    body = response.json()
    assert body["@odata.context"].endswith("/SupplierHandling.svc/$metadata#SupplierInfoGeneralSet")
    assert len(body["value"]) == 3
    assert "@odata.nextLink" not in body


def test_int_tier_serves_the_same_projection(reader: Ifs) -> None:
    response = reader.session.get(f"{reader.url}/int/ifsapplications/projection/v1/{SUPPLIERS}",
                                  params={"$top": 1}, timeout=10)
    assert response.status_code == 200
    assert "/int/ifsapplications/" in response.json()["@odata.context"]


def test_service_document_lists_entity_sets(reader: Ifs) -> None:
    body = reader.get("ManSuppInvoiceHandling.svc/").json()
    assert [s["name"] for s in body["value"]] == ["ManSuppInvoiceSet", "ManSuppInvoicePostingsSet"]
    assert all(s["kind"] == "EntitySet" for s in body["value"])


def test_metadata_is_csdl_with_sets_keys_properties_and_navigation(reader: Ifs) -> None:
    response = reader.get("ManSuppInvoiceHandling.svc/$metadata")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/xml")
    root = ET.fromstring(response.content)
    assert root.tag == "{http://docs.oasis-open.org/odata/ns/edmx}Edmx" and root.get("Version") == "4.0"
    schema = root.find(f".//{EDM}Schema")
    assert schema is not None and schema.get("Namespace") == "IfsApp.ManSuppInvoiceHandling"
    sets = {s.get("Name"): s.get("EntityType") for s in schema.iter(f"{EDM}EntitySet")}
    assert sets == {"ManSuppInvoiceSet": "IfsApp.ManSuppInvoiceHandling.ManSuppInvoice",
                    "ManSuppInvoicePostingsSet": "IfsApp.ManSuppInvoiceHandling.ManSuppInvoicePosting"}
    invoice = schema.find(f"{EDM}EntityType[@Name='ManSuppInvoice']")
    assert invoice is not None
    assert [r.get("Name") for r in invoice.iter(f"{EDM}PropertyRef")] == ["Company", "InvoiceId"]
    types = {p.get("Name"): p.get("Type") for p in invoice.iter(f"{EDM}Property")}
    assert types["NetCurrAmount"] == "Edm.Decimal" and types["PartyType"] == "IfsApp.ManSuppInvoiceHandling.PartyType"
    assert types["ModifiedDate"] == "Edm.DateTimeOffset"
    assert types["InvoiceDate"] == "Edm.Date"
    assert types["Objstate"] == "IfsApp.ManSuppInvoiceHandling.ManSuppInvoiceState"
    nav = invoice.find(f"{EDM}NavigationProperty")
    assert nav is not None and nav.get("Name") == "ManSuppInvoicePostingsArray"
    assert nav.get("Type") == "Collection(IfsApp.ManSuppInvoiceHandling.ManSuppInvoicePosting)"
    binding = schema.find(f".//{EDM}EntitySet[@Name='ManSuppInvoiceSet']/{EDM}NavigationPropertyBinding")
    assert binding is not None and binding.get("Target") == "ManSuppInvoicePostingsSet"


def test_metadata_declares_enums(reader: Ifs) -> None:
    root = ET.fromstring(reader.get("SupplierHandling.svc/$metadata").content)
    party = root.find(f".//{EDM}EnumType[@Name='PartyType']")
    assert party is not None
    assert [m.get("Name") for m in party.iter(f"{EDM}Member")] == ["Supplier", "Company", "Person"]


def test_unknown_projection_entity_set_and_route_are_404_ifs_errors(reader: Ifs) -> None:
    for path in ("NoSuchHandling.svc/Anything", "SupplierHandling.svc/NoSuchSet",
                 "SupplierHandling.svc/ManSuppInvoiceSet", f"{SUPPLIERS}('NOPE')"):
        response = reader.get(path)
        assert response.status_code == 404, path
        assert error_of(response)["code"] == "ODP_RESOURCE_NOTFOUND"
    response = reader.session.get(f"{reader.url}/b2b/ifsapplications/projection/v1/{SUPPLIERS}", timeout=10)
    assert response.status_code == 404
    assert error_of(response)["code"] == "ODP_RESOURCE_NOTFOUND"
    response = reader.session.get(f"{reader.url}/somewhere/else", timeout=10)
    assert response.status_code == 404
    error_of(response)


@pytest.mark.sends_without_if_match  # the PUT
def test_unsupported_methods_are_405_ifs_errors(reader: Ifs) -> None:
    response = reader.session.put(reader.api(f"{SUPPLIERS}('10001')"), json={}, timeout=10)
    assert response.status_code == 405
    assert error_of(response)["code"] == "ODP_METHOD_NOT_ALLOWED"
    response = reader.post("CompanyHandling.svc/CompanySet", {"Company": "99"})
    assert response.status_code == 405


def test_every_response_carries_a_request_id(reader: Ifs) -> None:
    responses = [reader.get(SUPPLIERS, params={"$top": 1}), reader.get("Nope.svc/X"),
                 reader.fetch_token(), reader.admin("GET", "/ifs/settings"),
                 requests.get(reader.api(SUPPLIERS), timeout=10)]
    ids = [r.headers.get("X-Request-Id") for r in responses]
    assert all(ids) and len(set(ids)) == len(ids)


def test_request_log_records_api_calls_but_not_admin_calls(ifs: Ifs) -> None:
    ifs.admin("DELETE", "/ifs/requests")
    response = ifs.get(SUPPLIERS, params={"$filter": "Country eq 'US'", "$top": 2})
    entity = ifs.get(f"{SUPPLIERS}('10001')")
    ifs.patch(f"{SUPPLIERS}('10001')", {"Name": "Renamed"}, entity.headers["ETag"])
    log = ifs.admin("GET", "/ifs/requests").json()
    assert [(e["method"], e["status"]) for e in log] == [("GET", 200), ("GET", 200), ("PATCH", 204)]
    first = log[0]
    assert first["path"].endswith("/SupplierInfoGeneralSet")
    assert "Country" in first["query"] and "%24top=2" in first["query"]
    assert first["request_id"] == response.headers["X-Request-Id"]
    assert log[2]["if_match"] == entity.headers["ETag"]


def test_entities_carry_ifs_system_fields_and_an_objid_objversion_etag(ifs: Ifs) -> None:
    supplier = ifs.values(SUPPLIERS, **{"$top": 1})[0]
    for field in ("luname", "keyref", "Objgrants", "Objid", "Objversion", "@odata.etag"):
        assert field in supplier
    assert supplier["luname"] == "SupplierInfoGeneral"
    assert supplier["keyref"] == f"SUPPLIER_ID={supplier['SupplierId']}^"
    assert decode_etag(supplier["@odata.etag"]) == f'W/"{supplier["Objid"]}:{supplier["Objversion"]}"'
    invoice = ifs.create_invoice()
    assert invoice["Objstate"] == "Preliminary"
    assert invoice["keyref"] == f"COMPANY=10^INVOICE_ID={invoice['InvoiceId']}^"
    single = ifs.get(invoice_path(invoice))
    assert single.headers["ETag"] == single.json()["@odata.etag"]
    assert single.json()["@odata.context"].endswith("$metadata#ManSuppInvoiceSet/$entity")
    assert ifs.values(INVOICES)[0]["Objstate"] == "Preliminary"
