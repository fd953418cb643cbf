"""The building blocks of an entity-set definition: properties, enums, navigation, entity types."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from mlc_sandbox.ifs import edm

NAMESPACE_ROOT = "IfsApp"
CODE_PARTS = tuple("ABCDEFGHIJ")


@dataclass(frozen=True)
class EnumType:
    namespace: str
    name: str
    members: tuple[str, ...]

    @property
    def full_name(self) -> str:
        return f"{self.namespace}.{self.name}"


@dataclass(frozen=True)
class Prop:
    name: str
    type: str = edm.STRING
    nullable: bool = True
    max_length: int | None = None
    read_only: bool = False  # server-assigned: a client may never send it
    required: bool = False  # must be in a POST body
    system: bool = False  # IFS system field (luname, keyref, Objid, ...): never in a request body
    enum: EnumType | None = None

    @property
    def type_name(self) -> str:
        return self.enum.full_name if self.enum else self.type


@dataclass(frozen=True)
class NavProperty:
    name: str
    target: str  # entity set in the same projection
    # (target property, source property): the target rows belonging to one source row
    key_map: tuple[tuple[str, str], ...]
    # fixed target values, e.g. CodePart='B' for CompanyFinanceSet(...)/CodeBArray
    constants: tuple[tuple[str, Any], ...] = ()
    many: bool = True  # False: a one-to-one reference (the only kind IFS can $expand)


@dataclass(frozen=True)
class EntityType:
    name: str
    entity_set: str
    projection: str
    lu_name: str
    keys: tuple[str, ...]
    props: tuple[Prop, ...]
    company_prop: str | None = None  # rows of companies the service user is not granted are invisible
    insertable: bool = False
    updatable: bool = False
    deletable: bool = False
    navigations: tuple[NavProperty, ...] = ()
    _by_name: dict[str, Prop] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._by_name.update({p.name: p for p in self.props})

    @property
    def namespace(self) -> str:
        return f"{NAMESPACE_ROOT}.{self.projection}"

    @property
    def full_name(self) -> str:
        return f"{self.namespace}.{self.name}"

    @property
    def db_table(self) -> str:
        return f"{snake_upper(self.lu_name)}_TAB"

    def prop(self, name: str) -> Prop | None:
        return self._by_name.get(name)

    def nav(self, name: str) -> NavProperty | None:
        return next((n for n in self.navigations if n.name == name), None)

    def enums(self) -> list[EnumType]:
        seen: dict[str, EnumType] = {}
        for p in self.props:
            if p.enum:
                seen.setdefault(p.enum.full_name, p.enum)
        return list(seen.values())

    def keyref(self, values: dict[str, Any]) -> str:
        """IFS keyref: COMPANY=10^INVOICE_ID=1^ (upper snake-case column names)."""
        return "".join(f"{snake_upper(k)}={_keyref_value(values[k])}^" for k in self.keys)


def snake_upper(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).upper()


def _keyref_value(value: Any) -> str:
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def system_props(objstate: EnumType | None = None) -> tuple[Prop, ...]:
    props = [Prop("luname", system=True), Prop("keyref", system=True), Prop("Objgrants", system=True),
             Prop("Objid", system=True), Prop("Objversion", system=True)]
    if objstate:
        props.append(Prop("Objstate", enum=objstate, system=True))
    return tuple(props)
