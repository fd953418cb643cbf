"""The VendorEntity posted for an IFS supplier: only the synced fields change, and it reads back as sent."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from ml_connector.field_map import SuppliersMap, load_field_map
from ml_connector.http.errors import RecordError
from ml_connector.sync.vendor_conflicts import basware_view, changes_between, ifs_view, view_hash
from ml_connector.sync.vendors_to_basware import vendor_body


@pytest.fixture(params=["ifs-cloud", "ifs-apps10"])
def names(request: pytest.FixtureRequest) -> SuppliersMap:
    return load_field_map(request.param).suppliers


def _row(names: SuppliersMap, **values: Any) -> dict[str, Any]:
    row = {names.supplier_id: "10001", names.name: "Acme Steel Oy", names.country: "FI"}
    if names.association_no:
        row[names.association_no] = "FI12345678"
    if names.currency:
        row[names.currency] = "EUR"
    return {**row, **values}


VENDOR: dict[str, Any] = {
    "externalCode": "EXT-1", "vendorCode": "10001", "name": "Acme Steel Ltd", "buvid": "b-1",
    "lastUpdated": "2026-12-01T00:00:00Z", "companies": [{"companyCode": "US10", "inheritToChildUnits": True}],
    "identifiers": [{"id": "GLN-1", "schemeId": "GLN", "defaultPartyId": True},
                    {"id": "GB999", "schemeId": "VAT", "defaultPartyId": False}],
    "addresses": [{"externalCode": "A1", "name": "Billing", "addressType": "PostalAddress", "countryId": "GB",
                   "streetName": "1 Mill Lane", "default": True}],
    "paymentMeans": [{"paymentMeansCode": "IBAN", "currencyCode": "GBP", "default": True}],
    "paymentTerms": {"paymentTermCode": "NET30"}, "description": None,
}


def test_only_the_synced_fields_change_and_the_rest_is_sent_back_as_basware_holds_it(names: SuppliersMap) -> None:
    vendor = copy.deepcopy(VENDOR)
    body = vendor_body(names, "10001", vendor, _row(names))
    assert vendor == VENDOR, "the vendor read is not changed in place"
    assert "lastUpdated" not in body and "buvid" not in body and "description" not in body
    assert body["externalCode"] == "EXT-1" and body["name"] == "Acme Steel Oy"
    assert body["addresses"][0] == {**VENDOR["addresses"][0], "countryId": "FI"}
    assert body["identifiers"][0] == VENDOR["identifiers"][0], "the GLN is not the VAT identifier"
    if names.association_no:
        assert body["identifiers"][1]["id"] == "FI12345678"
    if names.currency:
        assert body["paymentMeans"][0]["currencyCode"] == "EUR"
    assert body["paymentTerms"] == VENDOR["paymentTerms"] and body["companies"] == VENDOR["companies"]


def test_what_is_posted_reads_back_as_the_ifs_suppliers_fields(names: SuppliersMap) -> None:
    row = _row(names)
    body = vendor_body(names, "10001", VENDOR, row)
    assert basware_view(names, "10001", body) == ifs_view(names, row)
    assert view_hash(basware_view(names, "10001", body)) == view_hash(ifs_view(names, row))


def test_a_vendor_without_address_vat_or_payment_means_gets_the_ones_it_can(names: SuppliersMap) -> None:
    bare = {"externalCode": "10001", "companies": [{"companyCode": "US10"}]}
    body = vendor_body(names, "10001", bare, _row(names))
    assert body["addresses"] == [{"externalCode": "10001-POSTAL", "name": "Acme Steel Oy",
                                  "addressType": "PostalAddress", "default": True, "countryId": "FI"}]
    if names.association_no:
        assert body["identifiers"] == [{"schemeId": "VAT", "defaultPartyId": True, "id": "FI12345678"}]
    assert "paymentMeans" not in body, "a payment means needs a code IFS does not have"
    row_without_currency = {k: v for k, v in _row(names).items() if k != names.currency}
    assert basware_view(names, "10001", body) == ifs_view(names, row_without_currency)


def test_a_supplier_number_longer_than_basware_allows_is_refused_by_name(names: SuppliersMap) -> None:
    with pytest.raises(RecordError, match="longer than Basware's vendorCode"):
        vendor_body(names, "X" * 26, VENDOR, _row(names))


def test_changes_between_lists_every_field_that_differs_either_way() -> None:
    assert changes_between({"a": 1, "b": 2}, {"b": 3, "c": 4}) == {
        "a": {"before": 1, "after": None}, "b": {"before": 2, "after": 3}, "c": {"before": None, "after": 4}}
