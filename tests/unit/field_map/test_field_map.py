"""The IFS field map: shipped profiles, tenant overrides, validation, and what $metadata must hold."""

from __future__ import annotations

import re
from typing import Any

import pytest
from pydantic import ValidationError

from ml_connector.config import ConfigError, ConnectorConfig, TenantConfig, load_config
from ml_connector.field_map import (
    DEFAULT_PROFILE,
    FieldMapError,
    default_field_map,
    load_field_map,
    profile_names,
)


def test_profiles_ship_with_the_package_and_the_default_follows_public_evidence() -> None:
    assert {"ifs-cloud", "ifs-apps10"} <= set(profile_names()) and DEFAULT_PROFILE == "ifs-cloud"
    fm = default_field_map()
    pp, cv, s = fm.posting_proposals, fm.code_part_values, fm.suppliers
    assert (pp.supplier, pp.party_type, pp.party_type_value, pp.net, pp.vat, pp.gross) == (
        "Identity", "PartyType", "Supplier", "NetCurrAmount", "VatCurrAmount", None)
    assert (pp.rows.row_id, pp.rows.code_parts["A"], pp.rows.code_parts["J"]) == ("RowId", "CodeA", "CodeJ")
    assert (cv.projection, cv.entity_set, cv.navigations["I"], cv.values["I"]) == (
        "CodePartValuesHandling", "CompanyFinanceSet", "CodeIArray", "CodeI")
    assert (s.projection, s.entity_set, s.supplier_id, s.companies.navigation) == (
        "SupplierHandling", "SupplierInfoGeneralSet", "SupplierId", "SupplierInvoiceCompanies")
    # Names no public source confirms are marked as such in the profile.
    assert {"posting_proposals.projection", "posting_proposals.external_ref"} <= set(fm.unverified)


def test_the_older_profile_has_other_names_for_the_same_roles() -> None:
    old = load_field_map("ifs-apps10")
    pp = old.posting_proposals
    assert (pp.projection, pp.supplier, pp.party_type, pp.net, pp.gross, pp.rows.row_id) == (
        "ManualSupplierInvoiceHandling", "SupplierId", None, "NetAmount", "GrossAmount", "RowNo")
    assert pp.rows.code_parts["A"] == "Account" and pp.rows.code_parts["B"] == "CodeB"
    assert old.code_part_values.values == dict.fromkeys("ABCDEFGHIJ", "CodePartValue")


def test_overrides_replace_single_names_and_keep_the_rest() -> None:
    fm = load_field_map("ifs-cloud", {"posting_proposals": {"projection": "SupplierInvoiceHandling",
                                                            "rows": {"row_id": "ItemId"}}})
    assert fm.posting_proposals.projection == "SupplierInvoiceHandling"
    assert fm.posting_proposals.rows.row_id == "ItemId" and fm.posting_proposals.rows.amount == "CurrAmount"
    assert fm.posting_proposals.net == "NetCurrAmount" and fm.profile == "ifs-cloud"
    assert default_field_map().posting_proposals.projection == "ManSuppInvoiceHandling"  # not changed in place


@pytest.mark.parametrize(("overrides", "message"), [
    ({"posting_proposals": {"net": "Net Amount"}}, "posting_proposals.net"),
    ({"posting_proposals": {"netto": "X"}}, "posting_proposals.netto"),
    ({"code_part_values": {"values": {"A": "CodeA"}}}, "needs every code part A..J"),
    ({"suppliers": {"name": None}}, "suppliers.name"),
    ({"unverified": ["posting_proposals.netto"]}, "unverified: 'posting_proposals.netto' names no field"),
])
def test_invalid_overrides_are_refused_with_the_field_named(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=re.escape(message)):
        load_field_map("ifs-cloud", overrides)


def test_an_unknown_profile_names_the_known_ones() -> None:
    with pytest.raises(FieldMapError, match=r"unknown IFS field map profile 'ifs-9' \(known: .*ifs-apps10.*\)"):
        load_field_map("ifs-9")


def _tenant(**ifs: Any) -> dict[str, Any]:
    return {"tenant_id": "acme", "ifs_conn_id": "i", "basware_conn_id": "b", "basware_region": "eu",
            "companies": {"US10": "10"}, "ifs": ifs}


def test_the_tenants_file_chooses_a_profile_and_overrides() -> None:
    tenant = TenantConfig.model_validate(_tenant(field_map="ifs-apps10",
                                                 field_overrides={"posting_proposals": {"external_ref": "Ref"}}))
    assert tenant.ifs.fields.profile == "ifs-apps10" and tenant.ifs.fields.posting_proposals.external_ref == "Ref"
    assert TenantConfig.model_validate(_tenant()).ifs.fields == default_field_map()
    assert load_config().tenant("demo").ifs.fields.profile == "ifs-cloud"


def test_a_bad_field_map_in_the_tenants_file_names_tenant_and_field(tmp_path: Any) -> None:
    path = tmp_path / "tenants.yaml"
    path.write_text("tenants:\n  - tenant_id: acme\n    ifs_conn_id: i\n    basware_conn_id: b\n"
                    "    basware_region: eu\n    companies: {US10: '10'}\n"
                    "    ifs: {field_map: ifs-cloud, field_overrides: {posting_proposals: {vat: '1x'}}}\n")
    with pytest.raises(ConfigError, match=r"tenant 'acme', field ifs: .*field_overrides\.posting_proposals\.vat"):
        load_config(path)
    with pytest.raises(ValidationError, match="unknown IFS field map profile"):
        ConnectorConfig.model_validate({"tenants": [_tenant(field_map="nope")]})


def test_requirements_cover_every_name_the_connector_uses() -> None:
    fm = default_field_map()
    reqs = {(r.projection, r.entity_set): r for r in fm.requirements()}
    invoices = reqs[("ManSuppInvoiceHandling", "ManSuppInvoiceSet")]
    assert invoices.keys == ("Company", "InvoiceId")
    assert {"Identity": "text", "NetCurrAmount": "number", "InvoiceDate": "date"}.items() <= invoices.properties.items()
    assert "GrossAmount" not in invoices.properties  # a role this release lacks is not required
    [rows_nav] = invoices.navigations
    assert rows_nav.name == "ManSuppInvoicePostingsArray" and "CodeJ" in rows_nav.properties
    finance = reqs[("CodePartValuesHandling", "CompanyFinanceSet")]
    assert [n.name for n in finance.navigations] == [f"Code{x}Array" for x in "ABCDEFGHIJ"]
    required = {name for r in reqs.values() for name in (r.projection, r.entity_set, *r.keys, *r.properties,
                                                          *(n.name for n in r.navigations),
                                                          *(p for n in r.navigations for p in n.properties))}
    assert fm.names() - required == {"Supplier", "Balanced"}  # values, not names
