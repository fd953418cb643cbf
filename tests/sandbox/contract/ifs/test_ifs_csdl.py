"""Every projection's $metadata is valid CSDL 4.0 (XML).

The structure is validated (lxml, libxml2's XML Schema) against the OASIS OData TC's own schemas,
csdl/oasis/edmx.xsd + edm.xsd (version 4.01, which accepts Version="4.0" documents; see
csdl/oasis/README.md for where they come from). The rules the prose of CSDL adds and an XML schema
cannot express are checked here in Python: references resolve, keys are non-nullable properties,
names are unique in their scope, enum members' values are unique and fit the underlying type, facets
are positive. The negative tests prove the schema refuses what CSDL refuses.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from mlc_sandbox.ifs.entities import Schema
from mlc_sandbox.ifs.profiles import names_for

from .conftest import Ifs, _factory

EDMX = "{http://docs.oasis-open.org/odata/ns/edmx}"
EDM = "{http://docs.oasis-open.org/odata/ns/edm}"
PROFILES = ("ifs-cloud", "ifs-apps10")
DOCUMENTS = [(profile, projection) for profile in PROFILES
             for projection in sorted({t.projection for t in Schema(names_for(profile)).entity_types})]
PRIMITIVES = {f"Edm.{name}" for name in (
    "Binary", "Boolean", "Byte", "Date", "DateTimeOffset", "Decimal", "Double", "Duration", "Guid", "Int16",
    "Int32", "Int64", "SByte", "Single", "Stream", "String", "TimeOfDay")}
RANGES = {"Edm.Byte": (0, 255), "Edm.SByte": (-128, 127), "Edm.Int16": (-(2**15), 2**15 - 1),
          "Edm.Int32": (-(2**31), 2**31 - 1), "Edm.Int64": (-(2**63), 2**63 - 1)}


@pytest.fixture(scope="module")
def xsd() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(Path(__file__).parent / "csdl" / "oasis" / "edmx.xsd")))


@pytest.fixture(scope="module")
def readers(server_pool: Any, if_match_guard: Any) -> Iterator[dict[str, Ifs]]:
    """One simulator per naming profile: every profile's documents must be valid CSDL."""
    with ExitStack() as stack:
        make = _factory(server_pool, stack, if_match_guard)
        yield {profile: make(profile=profile) for profile in PROFILES}


@pytest.fixture(scope="module", params=DOCUMENTS, ids=["/".join(d) for d in DOCUMENTS])
def document(readers: dict[str, Ifs], request: pytest.FixtureRequest) -> etree._Element:
    profile, projection = request.param
    response = readers[profile].get(f"{projection}.svc/$metadata")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/xml")
    assert response.headers["OData-Version"] == "4.0"
    return etree.fromstring(response.content)


def test_metadata_is_valid_against_the_csdl_schema(xsd: etree.XMLSchema, document: etree._Element) -> None:
    assert xsd.validate(document), "\n".join(str(e) for e in xsd.error_log)


def _types(document: etree._Element) -> dict[str, etree._Element]:
    return {f"{s.get('Namespace')}.{t.get('Name')}": t for s in document.iter(f"{EDM}Schema")
            for t in s if t.tag in (f"{EDM}EntityType", f"{EDM}EnumType")}


def _of(type_name: str) -> str:
    return type_name[len("Collection("):-1] if type_name.startswith("Collection(") else type_name


def test_every_type_reference_resolves(document: etree._Element) -> None:
    types = _types(document)
    for prop in document.iter(f"{EDM}Property"):
        assert _of(prop.get("Type")) in PRIMITIVES | set(types), prop.attrib
    for nav in document.iter(f"{EDM}NavigationProperty"):
        target = types.get(_of(nav.get("Type")))
        assert target is not None and target.tag == f"{EDM}EntityType", nav.attrib
        names = {p.get("Name") for p in target.iter(f"{EDM}Property")}
        source = {p.get("Name") for p in nav.getparent().iter(f"{EDM}Property")}
        for rc in nav.iter(f"{EDM}ReferentialConstraint"):
            assert rc.get("Property") in source and rc.get("ReferencedProperty") in names, rc.attrib
        assert not (nav.get("Type").startswith("Collection(") and nav.get("Nullable")), nav.attrib


def test_entity_sets_and_bindings_resolve(document: etree._Element) -> None:
    types = _types(document)
    for container in document.iter(f"{EDM}EntityContainer"):
        sets = {s.get("Name"): s for s in container.iter(f"{EDM}EntitySet")}
        for entity_set in sets.values():
            etype = types.get(entity_set.get("EntityType"))
            assert etype is not None and etype.tag == f"{EDM}EntityType", entity_set.attrib
            navs = {n.get("Name") for n in etype.iter(f"{EDM}NavigationProperty")}
            for binding in entity_set.iter(f"{EDM}NavigationPropertyBinding"):
                assert binding.get("Path") in navs and binding.get("Target") in sets, binding.attrib


def test_keys_are_non_nullable_primitive_or_enum_properties(document: etree._Element) -> None:
    types = _types(document)
    for etype in document.iter(f"{EDM}EntityType"):
        props = {p.get("Name"): p for p in etype.iter(f"{EDM}Property")}
        refs = [r.get("Name") for r in etype.iter(f"{EDM}PropertyRef")]
        assert refs, etype.get("Name")
        for name in refs:
            prop = props[name]
            assert prop.get("Nullable") == "false", (etype.get("Name"), name)
            assert prop.get("Type") in PRIMITIVES or types[prop.get("Type")].tag == f"{EDM}EnumType"


def test_names_are_unique_in_their_scope(document: etree._Element) -> None:
    scopes = [*document.iter(f"{EDM}Schema"), *document.iter(f"{EDM}EntityType"),
              *document.iter(f"{EDM}EnumType"), *document.iter(f"{EDM}EntityContainer")]
    for scope in scopes:
        counts = Counter(child.get("Name") for child in scope if child.get("Name") is not None)
        assert not [n for n, c in counts.items() if c > 1], (scope.get("Name"), counts)


def test_enums_declare_their_underlying_type_and_values_fit(document: etree._Element) -> None:
    for enum in document.iter(f"{EDM}EnumType"):
        underlying = enum.get("UnderlyingType")
        assert underlying in RANGES, enum.attrib
        values = [m.get("Value") for m in enum.iter(f"{EDM}Member")]
        assert all(v is not None for v in values) or all(v is None for v in values)
        numbers = [int(v) for v in values if v is not None]
        low, high = RANGES[underlying]
        assert len(set(numbers)) == len(numbers) and all(low <= n <= high for n in numbers), enum.attrib


def test_facets_are_positive_integers(document: etree._Element) -> None:
    # CSDL 4.0 section 6.2.2: MaxLength is a positive integer or "max"; edm.xsd admits 0.
    for prop in document.iter(f"{EDM}Property"):
        length = prop.get("MaxLength")
        assert length is None or length == "max" or (length.isdigit() and int(length) > 0), prop.attrib


def test_the_key_comes_before_the_properties(document: etree._Element) -> None:
    # The 4.0 schema put Key first in an EntityType; 4.01's edm.xsd lets it stand anywhere, and we
    # declare Version="4.0".
    for etype in document.iter(f"{EDM}EntityType"):
        assert etype[0].tag == f"{EDM}Key", etype.get("Name")


def test_every_projection_has_its_metadata(readers: dict[str, Ifs]) -> None:
    assert DOCUMENTS and all(readers[profile].get(f"{projection}.svc/$metadata").status_code == 200
                             for profile, projection in DOCUMENTS)


VALID = """<edmx:Edmx xmlns:edmx="http://docs.oasis-open.org/odata/ns/edmx" Version="4.0"><edmx:DataServices>
<Schema xmlns="http://docs.oasis-open.org/odata/ns/edm" Namespace="IfsApp.T">
<EnumType Name="State" UnderlyingType="Edm.Int32"><Member Name="A" Value="0"/></EnumType>
<EntityType Name="E"><Key><PropertyRef Name="Id"/></Key><Property Name="Id" Type="Edm.String" Nullable="false"
 MaxLength="20"/></EntityType>
<EntityContainer Name="Main"><EntitySet Name="ESet" EntityType="IfsApp.T.E"/></EntityContainer>
</Schema></edmx:DataServices></edmx:Edmx>"""


@pytest.mark.parametrize(("old", "new"), [
    ('Version="4.0"', 'Version="3.0"'),
    ('Nullable="false"', 'Nullable="no"'),
    ('UnderlyingType="Edm.Int32"', 'UnderlyingType="Edm.String"'),
    ('Type="Edm.String"', ""),
    ('Name="E"', 'Name="1E"'),
    ('EntityType="IfsApp.T.E"', 'EntityType="E"'),
    ('<Member Name="A" Value="0"/>', ""),
    ("<edmx:DataServices>", "<edmx:DataServices><Bogus/>"),
])
def test_the_schema_refuses_what_csdl_refuses(xsd: etree.XMLSchema, old: str, new: str) -> None:
    assert xsd.validate(etree.fromstring(VALID.encode()))
    assert old in VALID
    assert not xsd.validate(etree.fromstring(VALID.replace(old, new).encode()))
