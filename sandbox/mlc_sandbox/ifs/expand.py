"""Expanded one-to-one references, inlined into an entity (null when the referenced row is absent)."""

from __future__ import annotations

from typing import Any

from mlc_sandbox.ifs.addressing import visible
from mlc_sandbox.ifs.context import SimContext
from mlc_sandbox.ifs.expand_options import ExpandItem
from mlc_sandbox.ifs.model import EntityType, NavProperty
from mlc_sandbox.ifs.respond import entity_json
from mlc_sandbox.ifs.store import Row


def apply(ctx: SimContext, etype: EntityType, row: Row, entity: dict[str, Any],
          items: list[ExpandItem]) -> dict[str, Any]:
    for item in items:
        child = ctx.db.schema.by_set[item.nav.target]
        found = referenced(ctx, row, item.nav)
        entity[item.nav.name] = entity_json(child, found, item.select) if found else None
    return entity


def referenced(ctx: SimContext, row: Row, nav: NavProperty) -> Row | None:
    """The row a one-to-one reference points at, if it exists and the service user may see it."""
    child = ctx.db.schema.by_set[nav.target]
    key = {t: row.values[s] for t, s in nav.key_map} | dict(nav.constants)
    matches = [r for r in ctx.db.store(child.entity_set).where(**key) if visible(ctx, child, r)]
    return matches[0] if matches else None
