"""What a $filter says every matching row must satisfy, for the indexes (mlc_sandbox.ifs.indexes).

Only the top-level `and` conjuncts count: `P eq literal`, an `or` of `P eq literal` on one property
(the connector's "any of"), and `P gt|ge|lt|le literal`. Anything else constrains nothing here and is
left to the compiled filter, which still judges every row an index hands over.
"""

from __future__ import annotations

from typing import Any

from mlc_sandbox.ifs.indexes import Constraints
from mlc_sandbox.ifs.odata_filter import Compare, Literal, Logical, Node, PropertyRef, parse_filter

_FLIPPED = {"gt": "lt", "ge": "le", "lt": "gt", "le": "ge", "eq": "eq"}
_NO_VALUE = object()


def constraints_of(text: str | None, fixed: dict[str, Any] | None = None) -> Constraints:
    """`fixed`: key values a navigation path already gives (`Set(K=1)/Nav`)."""
    where = Constraints()
    for name, value in (fixed or {}).items():
        where.equal(name, [value])
    if text:
        for node in _conjuncts(parse_filter(text)):
            _add(where, node)
    return where


def _conjuncts(node: Node) -> list[Node]:
    if isinstance(node, Logical) and node.op == "and":
        return _conjuncts(node.left) + _conjuncts(node.right)
    return [node]


def _add(where: Constraints, node: Node) -> None:
    if isinstance(node, Logical) and node.op == "or":
        equalities = [_equality(n) for n in _disjuncts(node)]
        names = {e[0] for e in equalities if e is not None}
        if None not in equalities and len(names) == 1:
            where.equal(names.pop(), [e[1] for e in equalities if e is not None])
        return
    if isinstance(node, Compare):
        found = _comparison(node)
        if found is None:
            return
        name, op, value = found
        if op == "eq":
            where.equal(name, [value])
        elif op in ("gt", "ge", "lt", "le") and value is not None:
            where.bound(name, op, value)


def _disjuncts(node: Node) -> list[Node]:
    if isinstance(node, Logical) and node.op == "or":
        return _disjuncts(node.left) + _disjuncts(node.right)
    return [node]


def _equality(node: Node) -> tuple[str, Any] | None:
    found = _comparison(node) if isinstance(node, Compare) else None
    return (found[0], found[2]) if found is not None and found[1] == "eq" else None


def _comparison(node: Compare) -> tuple[str, str, Any] | None:
    """(property, op, value) with the property on the left; None for anything else."""
    if isinstance(node.left, PropertyRef) and isinstance(node.right, Literal):
        prop, literal, op = node.left, node.right, node.op
    elif isinstance(node.right, PropertyRef) and isinstance(node.left, Literal):
        prop, literal, op = node.right, node.left, _FLIPPED.get(node.op, "")
    else:
        return None
    value = _value(literal)
    return None if value is _NO_VALUE or op not in _FLIPPED else (prop.name, op, value)


def _value(literal: Literal) -> Any:
    """The value the compiled filter compares rows with (an enum literal compares as its member name)."""
    if literal.type == "enum":
        return literal.value[1]
    return literal.value
