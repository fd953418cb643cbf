"""`$expand`: IFS expands one-to-one references only; a collection navigation is a 400."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from mlc_sandbox.ifs.errors import bad_query
from mlc_sandbox.ifs.model import EntityType, NavProperty


@dataclass(frozen=True)
class ExpandItem:
    nav: NavProperty
    select: list[str] | None = None  # $expand=Ref($select=A,B)


def parse_expand(value: str, etype: EntityType, by_set: Mapping[str, EntityType]) -> list[ExpandItem]:
    """`by_set`: the served schema's entity types by entity set (the navigation targets)."""
    items = []
    for text in _split(value):
        name, paren, inner = text.partition("(")
        nav = etype.nav(name.strip())
        if nav is None:
            raise bad_query(f"navigation property {name.strip()!r} does not exist in type {etype.full_name}",
                            "$expand")
        if nav.many:
            # IFS: "$expand is only supported for one-to-one associations"; the wording is ours.
            raise bad_query(f"{nav.name} is a collection navigation: $expand supports one-to-one references "
                            f"only; read {etype.entity_set}(...)/{nav.name} instead", "$expand")
        if paren and not inner.endswith(")"):
            raise bad_query(f"unbalanced parentheses in $expand item {text!r}", "$expand")
        items.append(ExpandItem(nav, _inner_select(inner[:-1], by_set[nav.target]) if paren else None))
    return items


def _split(value: str) -> list[str]:
    """Comma-separated items; commas inside parentheses belong to the item."""
    items, depth, start = [], 0, 0
    for i, char in enumerate(value + ","):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == "," and depth == 0:
            items.append(value[start:i].strip())
            start = i + 1
    if depth != 0 or not all(items):
        raise bad_query(f"malformed $expand {value!r}", "$expand")
    return items


def _inner_select(options: str, target: EntityType) -> list[str] | None:
    # Only $select inside an expanded one-to-one reference: nothing else applies to a single entity.
    name, _, value = options.partition("=")
    if name.strip() != "$select":
        raise bad_query(f"only $select is supported inside $expand, got {options!r}", "$expand")
    names = [n.strip() for n in value.split(",")]
    if "*" in names:
        return None
    for n in names:
        if target.prop(n) is None:
            raise bad_query(f"property {n!r} does not exist in type {target.full_name}", "$expand")
    return names
