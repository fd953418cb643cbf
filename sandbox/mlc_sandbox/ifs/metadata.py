"""`$metadata` (CSDL XML, OData 4.0) and the service document of one projection."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

from mlc_sandbox.ifs.entities import Schema
from mlc_sandbox.ifs.model import EntityType

EDMX = "http://docs.oasis-open.org/odata/ns/edmx"
EDM = "http://docs.oasis-open.org/odata/ns/edm"


def csdl(schema_def: Schema, projection: str) -> bytes:
    # Namespace declarations are written as plain attributes so the document uses the usual
    # `edmx:` prefix and a default EDM namespace (register_namespace would be process-global).
    types = schema_def.projection_sets(projection)
    root = ET.Element("edmx:Edmx", {"xmlns:edmx": EDMX, "Version": "4.0"})
    services = ET.SubElement(root, "edmx:DataServices")
    schema = ET.SubElement(services, "Schema", {"xmlns": EDM, "Namespace": types[0].namespace})
    enums = {e.full_name: e for t in types for e in t.enums()}
    for enum in enums.values():
        # Declared although Edm.Int32 is CSDL's default: a client should not have to know the default.
        node = ET.SubElement(schema, "EnumType", Name=enum.name, UnderlyingType="Edm.Int32")
        for i, member in enumerate(enum.members):
            ET.SubElement(node, "Member", Name=member, Value=str(i))
    for etype in types:
        _entity_type(schema, etype, schema_def)
    container = ET.SubElement(schema, "EntityContainer", Name="Main")
    for etype in types:
        entity_set = ET.SubElement(container, "EntitySet", Name=etype.entity_set, EntityType=etype.full_name)
        for nav in etype.navigations:
            ET.SubElement(entity_set, "NavigationPropertyBinding", Path=nav.name, Target=nav.target)
    document: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return document


def _entity_type(schema: ET.Element, etype: EntityType, schema_def: Schema) -> None:
    node = ET.SubElement(schema, "EntityType", Name=etype.name)
    key = ET.SubElement(node, "Key")
    for name in etype.keys:
        ET.SubElement(key, "PropertyRef", Name=name)
    for prop in etype.props:
        attrs = {"Name": prop.name, "Type": prop.type_name}
        if not prop.nullable:
            attrs["Nullable"] = "false"
        if prop.max_length:
            attrs["MaxLength"] = str(prop.max_length)
        ET.SubElement(node, "Property", attrs)
    for nav in etype.navigations:
        target = schema_def.by_set[nav.target].full_name
        if nav.many:
            ET.SubElement(node, "NavigationProperty", Name=nav.name, Type=f"Collection({target})")
            continue
        ref = ET.SubElement(node, "NavigationProperty", Name=nav.name, Type=target, Nullable="false")
        for target_prop, source_prop in nav.key_map:
            ET.SubElement(ref, "ReferentialConstraint", Property=source_prop, ReferencedProperty=target_prop)


def service_document(schema_def: Schema, projection: str, service_root: str) -> dict[str, Any]:
    return {"@odata.context": f"{service_root}/$metadata",
            "value": [{"name": t.entity_set, "kind": "EntitySet", "url": t.entity_set}
                      for t in schema_def.projection_sets(projection)]}
