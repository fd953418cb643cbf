"""Duplicate detection's notion of "the same business": name keys, search words, identifier spellings;
and the supplier numbers given to vendors that have none."""

from __future__ import annotations

import pytest

from ml_connector.config import TenantConfig
from ml_connector.sync.vendor_identity import identifier_forms, name_key, search_word, vendor_country
from ml_connector.sync.vendor_numbers import is_pending, new_supplier_id


@pytest.mark.parametrize(("one", "other"), [
    ("ACME Industrial GmbH", "Acme-Industrial"),
    ("Müller-Bau GmbH & Co. KG", "Muller Bau"),
    ("Things & Gadgets Inc.", "things and gadgets, inc"),
    ("Northwind Manufactura S.A. de C.V.", "NORTHWIND MANUFACTURA"),
    ("Oy Nokia Ab", "Nokia Oyj"),
    ("O'Brien Supplies Ltd", "OBrien Supplies Limited"),
    ("Svenska Verktyg AB (publ)", "Svenska Verktyg"),
    ("Polska Stal Sp. z o.o.", "Polska Stal"),
    ("Dansk Træ A/S", "Dansk Trae ApS".replace("ae", "æ")),
])
def test_names_that_differ_only_in_case_punctuation_accents_and_legal_form_have_one_key(one: str,
                                                                                         other: str) -> None:
    assert name_key(one) == name_key(other) != ""


@pytest.mark.parametrize(("one", "other"), [
    ("Acme Industrial GmbH", "Acme Industries GmbH"),
    ("Nordic Steel AB", "Nordic Steel Trading AB"),
])
def test_different_names_keep_different_keys(one: str, other: str) -> None:
    assert name_key(one) != name_key(other)


def test_a_name_that_is_only_a_legal_form_keeps_it_rather_than_becoming_empty() -> None:
    assert name_key("Company") == "company"


def test_the_search_word_is_the_longest_word_that_is_not_a_legal_form() -> None:
    assert search_word("Acme Fasteners GmbH") == "fasteners"
    assert search_word("GmbH") is None


def test_identifier_spellings_cover_spaces_case_and_the_vat_country_prefix() -> None:
    assert identifier_forms("de 123 456-789", "DE") == {"DE123456789", "123456789"}
    assert identifier_forms("123456789", "DE") == {"123456789", "DE123456789"}
    assert "123456789" in identifier_forms("EL123456789", "GR")


def test_the_vendor_country_is_its_default_address() -> None:
    vendor = {"addresses": [{"countryId": "se"}, {"countryId": "fi", "default": True}]}
    assert vendor_country(vendor) == "FI"
    assert vendor_country({"addresses": [{"countryId": "Finland"}]}) is None


def test_a_placeholder_or_blank_vendor_code_is_pending_and_gets_a_stable_number(tenant: TenantConfig) -> None:
    assert is_pending(tenant, {"vendorCode": " new "}) and is_pending(tenant, {"vendorCode": ""})
    assert not is_pending(tenant, {"vendorCode": "10001"})
    number = new_supplier_id(tenant, {"externalCode": "c6437eef-0d71"})
    assert number == new_supplier_id(tenant, {"externalCode": "c6437eef-0d71", "name": "renamed"})
    assert number != new_supplier_id(tenant, {"externalCode": "c6437eef-0d72"})
    assert number.startswith("BW") and number[2:].isdigit() and len(number) == 12


def test_the_supplier_number_prefix_is_validated(tenant: TenantConfig) -> None:
    with pytest.raises(ValueError, match="new_supplier_prefix"):
        TenantConfig.model_validate({**tenant.model_dump(), "vendors": {"new_supplier_prefix": "bw-"}})
