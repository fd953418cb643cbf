"""The field map against a projection's $metadata: hand-built CSDL documents, messages that help."""

from __future__ import annotations

import pytest

from ml_connector.field_map import NavRequirement, SetRequirement
from ml_connector.ifs.contract import ContractMismatch, ContractReport, check_set, parse_csdl

CSDL = b"""<?xml version="1.0" encoding="utf-8"?>
<edmx:Edmx xmlns:edmx="http://docs.oasis-open.org/odata/ns/edmx" Version="4.0">
 <edmx:DataServices>
  <Schema xmlns="http://docs.oasis-open.org/odata/ns/edm" Namespace="IfsApp.ManSuppInvoiceHandling" Alias="M">
   <EnumType Name="PartyType"><Member Name="Supplier" Value="0"/></EnumType>
   <EntityType Name="Base" Abstract="true">
    <Key><PropertyRef Name="Company"/><PropertyRef Name="InvoiceId"/></Key>
    <Property Name="Company" Type="Edm.String" Nullable="false"/>
    <Property Name="InvoiceId" Type="Edm.Int32" Nullable="false"/>
   </EntityType>
   <EntityType Name="ManSuppInvoice" BaseType="M.Base">
    <Property Name="NetCurrAmount" Type="Edm.Decimal"/>
    <Property Name="VatCurrAmount" Type="Edm.Decimal"/>
    <Property Name="PartyType" Type="IfsApp.ManSuppInvoiceHandling.PartyType"/>
    <Property Name="InvoiceDate" Type="Edm.Date"/>
    <NavigationProperty Name="PostingsArray" Type="Collection(M.Posting)"/>
   </EntityType>
   <EntityType Name="Posting">
    <Key><PropertyRef Name="RowId"/></Key>
    <Property Name="RowId" Type="Edm.Int32"/>
    <Property Name="CodeA" Type="Edm.String"/>
   </EntityType>
   <EntityContainer Name="Main">
    <EntitySet Name="ManSuppInvoiceSet" EntityType="IfsApp.ManSuppInvoiceHandling.ManSuppInvoice"/>
   </EntityContainer>
  </Schema>
 </edmx:DataServices>
</edmx:Edmx>"""

P = "ManSuppInvoiceHandling"


def req(**kw: object) -> SetRequirement:
    return SetRequirement(P, str(kw.pop("entity_set", "ManSuppInvoiceSet")), **kw)  # type: ignore[arg-type]


def test_a_matching_map_has_no_problems_base_types_and_aliases_resolved() -> None:
    meta = parse_csdl(CSDL)
    wanted = req(keys=("Company", "InvoiceId"),
                 properties={"Company": "text", "InvoiceId": "integer", "NetCurrAmount": "number",
                             "PartyType": "text", "InvoiceDate": "date"},
                 navigations=(NavRequirement("PostingsArray", {"RowId": "integer", "CodeA": "text"}),))
    assert check_set(meta, wanted) == []


def test_a_missing_property_names_projection_set_and_the_closest_names() -> None:
    problems = check_set(parse_csdl(CSDL), req(properties={"NetAmount": "number"}))
    assert problems == ["`NetAmount` is not a property of `ManSuppInvoiceSet` (projection ManSuppInvoiceHandling); "
                        "did you mean `NetCurrAmount`? (also close: `VatCurrAmount`)"]


def test_sets_navigations_keys_and_types_are_checked() -> None:
    meta = parse_csdl(CSDL)
    assert check_set(meta, req(entity_set="ManSuppInvoiceSets")) == [
        "`ManSuppInvoiceSets` is not an entity set of projection ManSuppInvoiceHandling; "
        "did you mean `ManSuppInvoiceSet`?"]
    [nav] = check_set(meta, req(navigations=(NavRequirement("PostingArray", {}),)))
    assert nav.startswith("`PostingArray` is not a navigation of `ManSuppInvoiceSet`") and "`PostingsArray`" in nav
    [row] = check_set(meta, req(navigations=(NavRequirement("PostingsArray", {"Account": "text"}),)))
    assert row.startswith("`Account` is not a property of `ManSuppInvoiceSet/PostingsArray`")
    [key] = check_set(meta, req(keys=("Company", "InvoiceNo")))
    assert "the key of `ManSuppInvoiceSet`" in key and "(Company, InvoiceId)" in key
    [kind] = check_set(meta, req(properties={"InvoiceDate": "number"}))
    assert kind.endswith("is Edm.Date, not a number property")
    assert check_set(meta, req(properties={"PartyType": "number"})) != []  # an enum is text


def test_a_report_says_what_matched_or_every_problem() -> None:
    assert ContractReport("ifs-cloud", ["A", "B"], []).message() == (
        "field map 'ifs-cloud' matches $metadata of 2 projections (A, B)")
    bad = ContractReport("ifs-cloud", ["A"], ["x is missing", "y is missing"])
    assert not bad.ok and bad.message() == "field map 'ifs-cloud' does not match IFS: x is missing; y is missing"


@pytest.mark.parametrize("document", [
    b"not xml",
    b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]><x>&b;</x>',
])
def test_what_is_not_safe_csdl_is_refused(document: bytes) -> None:
    with pytest.raises(ContractMismatch, match=r"\$metadata is not a CSDL document"):
        parse_csdl(document)
