"""The IFS field map: every projection, entity set, navigation, key and property ml-connector uses on IFS.

IFS names differ between releases and most are not publicly confirmed, so they are data, not code:
named profiles ship as YAML in `profiles/` (`ifs-cloud`, the default, follows the best public
evidence; `ifs-apps10` is an older naming), and a tenant picks one and may override single names:

    ifs:
      field_map: ifs-cloud
      field_overrides: {posting_proposals: {projection: SupplierInvoiceHandling}}

The attributes are logical roles (`net`, `external_ref`); their values are IFS names. A name set to
null means "this release has no such property": it is neither sent nor read. No other module spells
an IFS name (tests/unit/test_field_map.py greps for them). `requirements()` lists what a tenant's
$metadata must contain; `ml_connector.ifs.contract` checks it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import BaseModel, ConfigDict, StringConstraints, field_validator, model_validator

PROFILES_DIR = Path(__file__).parent / "profiles"
DEFAULT_PROFILE = "ifs-cloud"
LETTERS = tuple("ABCDEFGHIJ")  # code parts; A is the account

Name = Annotated[str, StringConstraints(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")]


class FieldMapError(ValueError):
    """An unknown profile or an invalid map; the message names the profile and the field."""


class _Names(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _per_letter(value: Any) -> Any:
    """`"Code{letter}"` -> {"A": "CodeA", ...}; a mapping must name every letter A..J."""
    if isinstance(value, str):
        return {letter: value.replace("{letter}", letter) for letter in LETTERS}
    if isinstance(value, Mapping) and set(value) != set(LETTERS):
        missing = sorted(set(LETTERS) - set(value))
        raise ValueError(f"needs every code part A..J (missing: {', '.join(missing) or 'none'}; "
                         f"unknown: {', '.join(sorted(set(value) - set(LETTERS))) or 'none'})")
    return value


class CompaniesMap(_Names):
    projection: Name
    entity_set: Name
    company: Name


class SupplierCompaniesMap(_Names):
    """The supplier's per-company invoice data: `Suppliers(SupplierId='X')/<navigation>`."""

    navigation: Name
    company: Name
    pay_term: Name | None
    currency: Name | None


class SuppliersMap(_Names):
    projection: Name
    entity_set: Name
    supplier_id: Name
    name: Name
    party_type: Name | None
    country: Name | None
    association_no: Name | None
    currency: Name | None
    companies: SupplierCompaniesMap
    modified: Name | None = None  # last change, so the vendor sync reads only suppliers that moved


class CodePartsMap(_Names):
    projection: Name
    entity_set: Name
    company: Name
    code_part: Name
    name: Name
    used: Name | None


class CodePartValuesMap(_Names):
    """Values of code part L of a company: `<entity_set>(<company>='10')/<navigations[L]>`."""

    projection: Name
    entity_set: Name
    company: Name
    navigations: dict[str, Name]
    values: dict[str, Name]
    valid_from: Name | None
    valid_until: Name | None
    description: Name | None = None  # the value's name, sent to Basware as its en-US name
    modified: Name | None = None  # last change, so a run can tell what moved

    @field_validator("navigations", "values", mode="before")
    @classmethod
    def _letters(cls, value: Any) -> Any:
        return _per_letter(value)


class PostingRowsMap(_Names):
    navigation: Name
    entity_set: Name
    company: Name
    invoice_id: Name
    row_id: Name
    code_parts: dict[str, Name]
    amount: Name
    vat_code: Name | None
    vat_amount: Name | None
    text: Name | None

    @field_validator("code_parts", mode="before")
    @classmethod
    def _letters(cls, value: Any) -> Any:
        return _per_letter(value)

    @property
    def keys(self) -> tuple[str, ...]:
        return (self.company, self.invoice_id, self.row_id)


# Logical header fields a proposal draft carries, in the order they are sent.
HEADER_ROLES = ("supplier", "invoice_no", "invoice_date", "due_date", "currency", "net", "vat", "gross",
                "pay_term", "external_ref")
ROW_ROLES = ("amount", "vat_code", "vat_amount", "text")


class PostingProposalsMap(_Names):
    projection: Name
    entity_set: Name
    company: Name
    invoice_id: Name
    supplier: Name
    party_type: Name | None
    party_type_value: str | None
    invoice_no: Name
    invoice_date: Name
    due_date: Name | None
    currency: Name
    net: Name
    vat: Name
    gross: Name | None
    pay_term: Name | None
    external_ref: Name
    state: Name | None
    balanced_state: str | None
    rows: PostingRowsMap

    @property
    def keys(self) -> tuple[str, ...]:
        return (self.company, self.invoice_id)

    def header_body(self, company: str, header: Mapping[str, Any]) -> dict[str, Any]:
        """A logical header (HEADER_ROLES) in IFS names; roles this release lacks are left out."""
        body: dict[str, Any] = {self.company: company}
        if self.party_type and self.party_type_value:
            body[self.party_type] = self.party_type_value
        for role in HEADER_ROLES:
            name = getattr(self, role)
            if name and role in header:
                body[name] = header[role]
        return body

    def row_body(self, row: Mapping[str, Any]) -> dict[str, Any]:
        """A logical posting row (code part letters and ROW_ROLES) in IFS names."""
        body = {self.rows.code_parts[letter]: row.get(letter) for letter in LETTERS}
        for role in ROW_ROLES:
            name = getattr(self.rows, role)
            if name:
                body[name] = row.get(role)
        return body


class HistoryLogMap(_Names):
    projection: Name
    entity_set: Name
    log_id: Name
    lu_name: Name
    timestamp: Name
    keys: Name


class IfsFieldMap(_Names):
    profile: str = "custom"
    description: str = ""
    unverified: tuple[str, ...] = ()  # dotted paths no public source confirms ("*": all of them)
    companies: CompaniesMap
    suppliers: SuppliersMap
    code_parts: CodePartsMap
    code_part_values: CodePartValuesMap
    posting_proposals: PostingProposalsMap
    history_log: HistoryLogMap

    @model_validator(mode="after")
    def _unverified_paths_exist(self) -> IfsFieldMap:
        data: Any = self.model_dump()
        for path in (p for p in self.unverified if p != "*"):
            node = data
            for part in path.split("."):
                if not isinstance(node, dict) or part not in node:
                    raise ValueError(f"unverified: {path!r} names no field of the map")
                node = node[part]
        return self

    def names(self) -> set[str]:
        """Every IFS name in the map (for the grep test and for `did you mean`)."""
        return set(_leaves(self.model_dump(exclude={"profile", "description", "unverified"})))

    def requirements(self) -> list[SetRequirement]:
        """What the tenant's $metadata must hold for this map, one entry per entity set."""
        return _requirements(self)


def _leaves(data: Any) -> Iterator[str]:
    if isinstance(data, Mapping):
        for value in data.values():
            yield from _leaves(value)
    elif isinstance(data, str):
        yield data


# -- what $metadata must contain ------------------------------------------------------------------
# Kinds of property: a property's EDM type must be one of these (enum types count as text).
TEXT, NUMBER, INTEGER, DATE, BOOLEAN, TIMESTAMP = "text", "number", "integer", "date", "boolean", "timestamp"


@dataclass(frozen=True)
class NavRequirement:
    name: str
    properties: dict[str, str]  # IFS name -> kind, on the navigation's target type


@dataclass(frozen=True)
class SetRequirement:
    projection: str
    entity_set: str
    keys: tuple[str, ...] = ()
    properties: dict[str, str] = field(default_factory=dict)
    navigations: tuple[NavRequirement, ...] = ()


def _props(*pairs: tuple[str | None, str]) -> dict[str, str]:
    return {name: kind for name, kind in pairs if name}


def _requirements(fm: IfsFieldMap) -> list[SetRequirement]:
    s, cp, cv, pp, hl = fm.suppliers, fm.code_parts, fm.code_part_values, fm.posting_proposals, fm.history_log
    r = pp.rows
    value_navs = tuple(NavRequirement(cv.navigations[letter], _props(
        (cv.company, TEXT), (cv.values[letter], TEXT), (cv.valid_from, DATE), (cv.valid_until, DATE),
        (cv.description, TEXT), (cv.modified, TIMESTAMP)))
        for letter in LETTERS)
    row_props = _props(*((r.code_parts[letter], TEXT) for letter in LETTERS), (r.company, TEXT),
                       (r.invoice_id, INTEGER), (r.row_id, INTEGER), (r.amount, NUMBER), (r.vat_code, TEXT),
                       (r.vat_amount, NUMBER), (r.text, TEXT))
    return [
        SetRequirement(fm.companies.projection, fm.companies.entity_set, (fm.companies.company,),
                       _props((fm.companies.company, TEXT))),
        SetRequirement(s.projection, s.entity_set, (s.supplier_id,), _props(
            (s.supplier_id, TEXT), (s.name, TEXT), (s.party_type, TEXT), (s.country, TEXT),
            (s.association_no, TEXT), (s.currency, TEXT), (s.modified, TIMESTAMP)),
            (NavRequirement(s.companies.navigation, _props((s.companies.company, TEXT),
                            (s.companies.pay_term, TEXT), (s.companies.currency, TEXT))),)),
        SetRequirement(cp.projection, cp.entity_set, (cp.company, cp.code_part), _props(
            (cp.company, TEXT), (cp.code_part, TEXT), (cp.name, TEXT), (cp.used, BOOLEAN))),
        SetRequirement(cv.projection, cv.entity_set, (cv.company,), _props((cv.company, TEXT)), value_navs),
        SetRequirement(pp.projection, pp.entity_set, pp.keys, _props(
            (pp.company, TEXT), (pp.invoice_id, INTEGER), (pp.supplier, TEXT), (pp.party_type, TEXT),
            (pp.invoice_no, TEXT), (pp.invoice_date, DATE), (pp.due_date, DATE), (pp.currency, TEXT),
            (pp.net, NUMBER), (pp.vat, NUMBER), (pp.gross, NUMBER), (pp.pay_term, TEXT),
            (pp.external_ref, TEXT), (pp.state, TEXT)),
            (NavRequirement(r.navigation, row_props),)),
        SetRequirement(pp.projection, r.entity_set, r.keys, row_props),
        SetRequirement(hl.projection, hl.entity_set, (hl.log_id,), _props(
            (hl.log_id, INTEGER), (hl.lu_name, TEXT), (hl.timestamp, TIMESTAMP), (hl.keys, TEXT))),
    ]


# -- profiles ------------------------------------------------------------------------------------
def profile_names() -> list[str]:
    return sorted(p.stem for p in PROFILES_DIR.glob("*.yaml"))


@cache
def _profile_data(name: str) -> dict[str, Any]:
    path = PROFILES_DIR / f"{name}.yaml"
    if not path.is_file():
        raise FieldMapError(f"unknown IFS field map profile {name!r} (known: {', '.join(profile_names())})")
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise FieldMapError(f"field map profile {name!r} is not a mapping")
    return data


def merge(base: Mapping[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
    """`overrides` deep-merged over `base` (mappings merge, anything else replaces)."""
    out = dict(base)
    for key, value in overrides.items():
        current = out.get(key)
        out[key] = merge(current, value) if isinstance(current, Mapping) and isinstance(value, Mapping) else value
    return out


def load_field_map(profile: str = DEFAULT_PROFILE, overrides: Mapping[str, Any] | None = None) -> IfsFieldMap:
    """A profile with a tenant's overrides; pydantic's ValidationError names a bad field."""
    data = merge(_profile_data(profile), overrides or {})
    return IfsFieldMap.model_validate({**data, "profile": profile})


@cache
def default_field_map() -> IfsFieldMap:
    return load_field_map(DEFAULT_PROFILE)
