from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

from ml_connector.field_map import default_field_map
from ml_connector.sync import reporting
from ml_connector.sync.invoice_suppliers import supplier_body
from ml_connector.sync.proposals import differences, same


def test_external_code_is_a_stable_uuid_per_tenant_invoice_outcome_and_version() -> None:
    code = reporting.external_code("acme", "inv-1", success=True, version="fp1")
    assert len(code) == 36 and uuid.UUID(code).version == 5
    assert code == reporting.external_code("acme", "inv-1", success=True, version="fp1")
    others = {reporting.external_code("other", "inv-1", success=True, version="fp1"),
              reporting.external_code("acme", "inv-2", success=True, version="fp1"),
              reporting.external_code("acme", "inv-1", success=False, version="fp1"),
              reporting.external_code("acme", "inv-1", success=True, version="fp2")}
    assert code not in others and len(others) == 4


def test_failure_message_is_short_and_drops_the_invoice_label() -> None:
    reason = "invoice inv-1 (INV-1): " + "; ".join(f"coding row {n}: account '9999' does not exist" for n in range(20))
    message = reporting.failure_message("unknown_account", reason, "invoice inv-1 (INV-1)")
    assert len(message) == 250 and message.endswith("...")
    assert message.startswith("[unknown_account] coding row 0: account '9999' does not exist; coding row 1")
    assert reporting.success_message("10/42") == "Posting proposal 10/42 created in IFS Cloud"


def test_ifs_values_compare_as_ifs_returns_them() -> None:
    assert same(1234.5, Decimal("1234.50")) and same(0.1, Decimal("0.10")) and not same(0.1, Decimal("0.2"))
    assert same("2026-09-25", date(2026, 9, 25)) and not same(None, date(2026, 9, 25))
    assert same(None, None) and same("", None) and not same("CC1", None)
    current = {"Account": "6000", "CodeB": "CC1", "CurrAmount": 100, "Text": "a"}
    assert differences(current, {"Account": "6000", "CodeB": None, "CurrAmount": Decimal("100.00")}) == {
        "CodeB": None}


def test_supplier_body_from_a_basware_vendor() -> None:
    vendor = {"externalCode": "V1", "vendorCode": "20001", "name": "Acme Steel Inc." + "x" * 200,
              "identifiers": [{"id": "DUNS1", "schemeId": "DUNS"}, {"id": "US123", "schemeId": "VAT"}],
              "addresses": [{"externalCode": "A1", "name": "HQ", "countryId": "us"}],
              "paymentMeans": [{"paymentMeansCode": "1", "currencyCode": "EUR"},
                               {"paymentMeansCode": "2", "currencyCode": "USD", "default": True}],
              "paymentTerms": {"paymentTermCode": "NET30"}}
    names = default_field_map().suppliers
    body = supplier_body(names, "20001", vendor)
    assert body == {"SupplierId": "20001", "Name": ("Acme Steel Inc." + "x" * 200)[:100], "Country": "US",
                    "AssociationNo": "US123", "Currency": "USD"}
    assert supplier_body(names, "20002", {"addresses": [{"countryId": "Germany"}]}) == {
        "SupplierId": "20002", "Name": "20002"}
