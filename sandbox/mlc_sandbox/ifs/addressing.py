"""From resource path segments to what they address: an entity set, one entity, a navigation, $count."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from mlc_sandbox.ifs.context import SimContext
from mlc_sandbox.ifs.errors import not_found
from mlc_sandbox.ifs.indexes import Constraints
from mlc_sandbox.ifs.model import EntityType, NavProperty
from mlc_sandbox.ifs.resource import Segment, format_key, key_values
from mlc_sandbox.ifs.store import Row


@dataclass
class Target:
    etype: EntityType
    fragment: str  # @odata.context fragment
    row: Row | None = None  # set when a key addresses one entity
    fixed: dict[str, Any] = field(default_factory=dict)  # navigation: the parent's part of the key
    count: bool = False
    absent_key: dict[str, Any] | None = None  # missing_ok: the key of an entity that does not exist


def resolve(ctx: SimContext, projection: str, segments: list[Segment], missing_ok: bool = False) -> Target:
    """`missing_ok`: the last segment's key may name an absent entity (an upsert creates it)."""
    first = segments[0]
    etype = ctx.db.schema.by_set.get(first.name)
    if etype is None or etype.projection != projection:
        raise not_found(f"Resource not found for the segment '{first.name}'.")
    target = Target(etype, etype.entity_set)
    if first.key is not None:
        _address(ctx, target, first, missing_ok and len(segments) == 1)
    for n, segment in enumerate(segments[1:], start=2):
        if segment.name == "$count" and target.row is None and not target.count and segment.key is None:
            target.count = True
            continue
        nav = target.etype.nav(segment.name) if target.row is not None and not target.count else None
        if nav is None or target.row is None:
            raise not_found(f"Resource not found for the segment '{segment.name}'.")
        parent = target.row
        child = ctx.db.schema.by_set[nav.target]
        fixed = {t: parent.values[s] for t, s in nav.key_map} | dict(nav.constants)
        target = Target(child, child.entity_set, fixed=fixed)
        if not nav.many:  # a one-to-one reference addresses its entity, or nothing
            target.row = _referenced(ctx, parent, nav, segment)
        elif segment.key is not None:
            _address(ctx, target, segment, missing_ok and n == len(segments))
    return target


def _referenced(ctx: SimContext, parent: Row, nav: NavProperty, segment: Segment) -> Row:
    from mlc_sandbox.ifs.expand import referenced  # expand builds on this module

    row = referenced(ctx, parent, nav) if segment.key is None else None
    if row is None:
        raise not_found(f"Resource not found for the segment '{segment.name}'.")
    return row


def _address(ctx: SimContext, target: Target, segment: Segment, missing_ok: bool) -> None:
    etype, fixed = target.etype, target.fixed
    key = key_values(etype, segment, fixed)
    stored = ctx.db.store(etype.entity_set).get(key) if key else None
    if stored is not None and visible(ctx, etype, stored) and all(stored.values[k] == v for k, v in fixed.items()):
        target.row = stored
        return
    named = dict(zip(etype.keys, key, strict=False))
    if missing_ok and key and stored is None:
        target.absent_key = named
        return
    raise not_found(f"The {etype.lu_name} with key ({format_key(etype, named)}) does not exist."
                    if key else f"No such {etype.lu_name}.")


def visible(ctx: SimContext, etype: EntityType, row: Row) -> bool:
    # Rows of companies the service user is not granted are simply not there: no error, no hint.
    return etype.company_prop is None or ctx.settings.company_granted(row.values[etype.company_prop])


def rows_of(ctx: SimContext, target: Target, where: Constraints | None = None) -> list[Row]:
    """The visible rows of the target; `where` (what its $filter requires) lets an index narrow them."""
    constraints = where or Constraints()
    for name, value in target.fixed.items():
        constraints.equal(name, [value])
    rows = ctx.db.store(target.etype.entity_set).matching(constraints)
    fixed = tuple(target.fixed.items())
    company_prop = target.etype.company_prop
    granted: dict[Any, bool] = {}  # asked once per company, not once per row

    def shown(row: Row) -> bool:
        values = row.values
        if any(values.get(name) != value for name, value in fixed):
            return False
        if company_prop is None:
            return True
        company = values[company_prop]
        if company not in granted:
            granted[company] = ctx.settings.company_granted(company)
        return granted[company]

    return [r for r in rows if shown(r)]
