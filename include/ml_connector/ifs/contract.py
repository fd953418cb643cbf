"""The tenant's field map against the live `$metadata` (CSDL XML) of every projection it names.

Every entity set, key, navigation and property the map uses must exist, with a compatible EDM type.
A mismatch names the projection, the missing name and the closest existing names:

    `NetAmount` is not a property of `ManSuppInvoiceSet` (projection ManSuppInvoiceHandling);
    did you mean `NetCurrAmount`?

Reads only (one GET per projection). The invoice flow runs it before it writes anything.
"""

from __future__ import annotations

import difflib
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from xml.etree.ElementTree import Element

from defusedxml import ElementTree
from defusedxml.common import DefusedXmlException

from ml_connector.field_map import BOOLEAN, DATE, INTEGER, NUMBER, TEXT, TIMESTAMP, IfsFieldMap, SetRequirement
from ml_connector.http.errors import FatalError, MlConnectorError, NotFoundError
from ml_connector.ifs.client import IfsClient
from ml_connector.ifs.wire import metadata_path

EDM_NS = "http://docs.oasis-open.org/odata/ns/edm"
# Which EDM types a property of each kind may have; a non-Edm type (an IFS enumeration) counts as text.
COMPATIBLE = {
    TEXT: {"Edm.String", "Edm.Guid"},
    NUMBER: {"Edm.Decimal", "Edm.Double", "Edm.Single", "Edm.Int16", "Edm.Int32", "Edm.Int64"},
    INTEGER: {"Edm.Int16", "Edm.Int32", "Edm.Int64", "Edm.Decimal", "Edm.Byte"},
    DATE: {"Edm.Date", "Edm.DateTimeOffset"},
    TIMESTAMP: {"Edm.DateTimeOffset", "Edm.Date"},
    BOOLEAN: {"Edm.Boolean"},
}


class ContractMismatch(FatalError):
    """The tenant's IFS field map does not match the tenant's IFS: nothing may be written with it."""


@dataclass
class EntityTypeInfo:
    keys: list[str] = field(default_factory=list)
    properties: dict[str, str] = field(default_factory=dict)  # name -> EDM type
    navigations: dict[str, str] = field(default_factory=dict)  # name -> target type (qualified)


@dataclass
class Metadata:
    """The part of one projection's CSDL the check needs: entity sets and their types."""

    entity_sets: dict[str, str] = field(default_factory=dict)  # set -> qualified type name
    types: dict[str, EntityTypeInfo] = field(default_factory=dict)  # qualified (and aliased) name -> type

    def type_of_set(self, entity_set: str) -> EntityTypeInfo | None:
        return self.types.get(self.entity_sets.get(entity_set, ""))


def parse_csdl(document: bytes) -> Metadata:
    """Entity sets and entity types of an OData v4 CSDL document (BaseType inheritance resolved)."""
    try:
        root = ElementTree.fromstring(document)
    except (ElementTree.ParseError, DefusedXmlException) as exc:
        raise ContractMismatch(f"$metadata is not a CSDL document: {exc}") from None
    meta = Metadata()
    bases: dict[str, str] = {}
    for schema in root.iter(f"{{{EDM_NS}}}Schema"):
        prefixes = [p for p in (schema.get("Namespace"), schema.get("Alias")) if p]
        for node in schema.findall(f"{{{EDM_NS}}}EntityType"):
            info = _entity_type(node)
            for prefix in prefixes:
                meta.types[f"{prefix}.{node.get('Name')}"] = info
                if node.get("BaseType"):
                    bases[f"{prefix}.{node.get('Name')}"] = str(node.get("BaseType"))
        for container in schema.findall(f"{{{EDM_NS}}}EntityContainer"):
            for entity_set in container.findall(f"{{{EDM_NS}}}EntitySet"):
                meta.entity_sets[str(entity_set.get("Name"))] = str(entity_set.get("EntityType"))
    for name, base in bases.items():
        _inherit(meta, name, base, depth=0)
    return meta


def _entity_type(node: Element) -> EntityTypeInfo:
    info = EntityTypeInfo()
    info.keys = [str(ref.get("Name")) for ref in node.iter(f"{{{EDM_NS}}}PropertyRef")]
    for prop in node.findall(f"{{{EDM_NS}}}Property"):
        info.properties[str(prop.get("Name"))] = str(prop.get("Type"))
    for nav in node.findall(f"{{{EDM_NS}}}NavigationProperty"):
        target = str(nav.get("Type"))
        if target.startswith("Collection(") and target.endswith(")"):
            target = target[len("Collection("):-1]
        info.navigations[str(nav.get("Name"))] = target
    return info


def _inherit(meta: Metadata, name: str, base: str, depth: int) -> None:
    parent = meta.types.get(base)
    if parent is None or depth > 10:
        return
    child = meta.types[name]
    child.keys = child.keys or list(parent.keys)
    child.properties = {**parent.properties, **child.properties}
    child.navigations = {**parent.navigations, **child.navigations}


def _did_you_mean(name: str, candidates: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, list(candidates), n=3, cutoff=0.5)
    if not close:
        return ""
    also = f" (also close: {', '.join(f'`{c}`' for c in close[1:])})" if close[1:] else ""
    return f"; did you mean `{close[0]}`?{also}"


def _compatible(kind: str, edm_type: str) -> bool:
    if not edm_type.startswith("Edm."):
        return kind == TEXT  # an enumeration: sent and read as its member name
    return edm_type in COMPATIBLE[kind]


def _check_properties(where: str, info: EntityTypeInfo, wanted: dict[str, str]) -> list[str]:
    problems = []
    for name, kind in wanted.items():
        edm_type = info.properties.get(name)
        if edm_type is None:
            problems.append(f"`{name}` is not a property of {where}{_did_you_mean(name, info.properties)}")
        elif not _compatible(kind, edm_type):
            problems.append(f"`{name}` of {where} is {edm_type}, not a {kind} property")
    return problems


def check_set(meta: Metadata, req: SetRequirement) -> list[str]:
    """Problems of one entity set against its projection's metadata; empty when it matches."""
    info = meta.type_of_set(req.entity_set)
    if info is None:
        return [f"`{req.entity_set}` is not an entity set of projection {req.projection}"
                f"{_did_you_mean(req.entity_set, meta.entity_sets)}"]
    where = f"`{req.entity_set}` (projection {req.projection})"
    problems = _check_properties(where, info, req.properties)
    if req.keys and list(req.keys) != info.keys:
        problems.append(f"the key of {where} is ({', '.join(info.keys)}), the field map says "
                        f"({', '.join(req.keys)})")
    for nav in req.navigations:
        target_name = info.navigations.get(nav.name)
        if target_name is None:
            problems.append(f"`{nav.name}` is not a navigation of {where}"
                            f"{_did_you_mean(nav.name, info.navigations)}")
            continue
        target = meta.types.get(target_name)
        if target is None:
            problems.append(f"navigation `{nav.name}` of {where} leads to unknown type {target_name}")
            continue
        problems += _check_properties(f"`{req.entity_set}/{nav.name}` (projection {req.projection})", target,
                                      nav.properties)
    return problems


@dataclass
class ContractReport:
    profile: str
    projections: list[str]
    problems: list[str]

    @property
    def ok(self) -> bool:
        return not self.problems

    def message(self) -> str:
        if self.ok:
            return (f"field map {self.profile!r} matches $metadata of {len(self.projections)} projections "
                    f"({', '.join(self.projections)})")
        return f"field map {self.profile!r} does not match IFS: " + "; ".join(self.problems)


# $metadata read per process, by (service root, projection): every run's contract check would otherwise
# fetch one CSDL document per projection. Kept a few minutes, so a redeployed projection is seen soon.
METADATA_TTL_S = 600.0
_METADATA: dict[tuple[str, str], tuple[float, Metadata]] = {}
_METADATA_LOCK = threading.Lock()


def read_metadata(client: IfsClient, projection: str) -> Metadata:
    key = (client.api.base_url, projection)
    with _METADATA_LOCK:
        cached = _METADATA.get(key)
    if cached is not None and time.monotonic() - cached[0] < METADATA_TTL_S:
        return cached[1]
    resp = client.api.send("GET", metadata_path(projection),
                           headers={"Accept": "application/xml"})
    meta = parse_csdl(resp.content)
    with _METADATA_LOCK:
        _METADATA[key] = (time.monotonic(), meta)
    return meta


def check_contract(client: IfsClient, fields: IfsFieldMap | None = None) -> ContractReport:
    """Every name of the map against the $metadata of its projections (one read per projection)."""
    fields = fields or client.fields
    requirements = fields.requirements()
    projections = sorted({r.projection for r in requirements})
    problems: list[str] = []
    for projection in projections:
        try:
            meta = read_metadata(client, projection)
        except ContractMismatch as exc:
            problems.append(f"projection {projection}: {exc}")
            continue
        except NotFoundError:
            problems.append(f"projection {projection} does not exist (404 on its $metadata; or the service user "
                            "may not use it)")
            continue
        except MlConnectorError as exc:
            problems.append(f"projection {projection}: $metadata not readable ({exc})")
            continue
        for req in requirements:
            if req.projection == projection:
                problems += check_set(meta, req)
    return ContractReport(fields.profile, projections, problems)


def require_contract(client: IfsClient) -> ContractReport:
    """check_contract, raising ContractMismatch (before anything is written) when the map does not fit."""
    report = check_contract(client)
    if not report.ok:
        raise ContractMismatch(report.message())
    return report
