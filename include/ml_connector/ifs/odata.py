"""OData v4 query building: literals escaped by type, filters composed as objects, never as text.

    q = Query(filter=F("Name").eq("O'Brien") & F("ModifiedDate").gt(since), orderby=("SupplierId",))
    q.params()  ->  {"$filter": "(Name eq 'O''Brien') and (ModifiedDate gt 2026-01-01T00:00:00Z)", ...}
"""

from __future__ import annotations

import math
import re
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import quote

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_PATH = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(/[A-Za-z_][A-Za-z0-9_]*)*$")
_QUALIFIED = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)+$")
_ORDER = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*(?:/[A-Za-z_][A-Za-z0-9_]*)*)(?: (asc|desc))?$")
# Kept literal in query strings: OData syntax characters. Space becomes %20, never '+'.
_QUERY_SAFE = "'(),:@/$*"
_PATH_SAFE = "'(),=:@"


@dataclass(frozen=True)
class EnumValue:
    """A typed enum literal, e.g. EnumValue("IfsApp.SupplierHandling.PartyType", "Supplier")."""

    type_name: str
    value: str

    def __post_init__(self) -> None:
        if not _QUALIFIED.match(self.type_name):
            raise ValueError(f"not a qualified enum type name: {self.type_name!r}")


def literal(value: Any) -> str:
    """Render a Python value as an OData literal."""
    if value is None:
        return "null"
    if isinstance(value, bool):  # before int: bool is an int
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError("non-finite decimal")
        return format(value, "f")
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError("non-finite float")
        return repr(value)
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    if isinstance(value, datetime):
        return datetime_literal(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, EnumValue):
        return f"{value.type_name}'{value.value.replace(chr(39), chr(39) * 2)}'"
    raise TypeError(f"no OData literal for {type(value).__name__}")


def datetime_literal(value: datetime) -> str:
    """DateTimeOffset, unquoted, in UTC with a Z. Naive datetimes are refused: which zone would it be?"""
    if value.tzinfo is None:
        raise ValueError("naive datetime: give it a timezone (UTC)")
    value = value.astimezone(UTC)
    text = value.strftime("%Y-%m-%dT%H:%M:%S")
    if value.microsecond:
        text += f".{value.microsecond:06d}".rstrip("0")
    return text + "Z"


def name(value: str) -> str:
    """A property name or navigation path, checked so that no caller data becomes syntax."""
    if not _PATH.match(value):
        raise ValueError(f"not an OData property name: {value!r}")
    return value


class Expr:
    """A filter expression; combine with &, | and ~."""

    def render(self) -> str:
        raise NotImplementedError

    def __str__(self) -> str:
        return self.render()

    def __and__(self, other: Expr) -> Expr:
        return and_(self, other)

    def __or__(self, other: Expr) -> Expr:
        return or_(self, other)

    def __invert__(self) -> Expr:
        return not_(self)


@dataclass(frozen=True)
class _Compare(Expr):
    field: str
    op: str
    value: Any

    def render(self) -> str:
        return f"{self.field} {self.op} {literal(self.value)}"


@dataclass(frozen=True)
class _Call(Expr):
    function: str
    field: str
    value: Any

    def render(self) -> str:
        return f"{self.function}({self.field},{literal(self.value)})"


@dataclass(frozen=True)
class _Junction(Expr):
    op: str
    parts: tuple[Expr, ...]

    def render(self) -> str:
        return f" {self.op} ".join(f"({p.render()})" for p in self.parts)


@dataclass(frozen=True)
class _Not(Expr):
    inner: Expr

    def render(self) -> str:
        return f"not ({self.inner.render()})"


@dataclass(frozen=True)
class F:
    """A property to filter on: F("Company").eq("10")."""

    field: str

    def __post_init__(self) -> None:
        name(self.field)

    def eq(self, v: Any) -> Expr:
        return _Compare(self.field, "eq", v)

    def ne(self, v: Any) -> Expr:
        return _Compare(self.field, "ne", v)

    def gt(self, v: Any) -> Expr:
        return _Compare(self.field, "gt", v)

    def ge(self, v: Any) -> Expr:
        return _Compare(self.field, "ge", v)

    def lt(self, v: Any) -> Expr:
        return _Compare(self.field, "lt", v)

    def le(self, v: Any) -> Expr:
        return _Compare(self.field, "le", v)

    def contains(self, v: str) -> Expr:
        return _Call("contains", self.field, v)

    def startswith(self, v: str) -> Expr:
        return _Call("startswith", self.field, v)

    def endswith(self, v: str) -> Expr:
        return _Call("endswith", self.field, v)

    def contains_lower(self, v: str) -> Expr:
        """`contains(tolower(Field),'v')`: a case-blind substring test (pass `v` in lower case)."""
        return _Call("contains", f"tolower({self.field})", v)

    def any_of(self, values: Iterable[Any]) -> Expr:
        """`in` spelled as or-ed equalities (OData 4.0 servers such as Olingo lack `in`)."""
        parts = tuple(self.eq(v) for v in values)
        if not parts:
            raise ValueError("any_of needs at least one value")
        return parts[0] if len(parts) == 1 else _Junction("or", parts)


def and_(*exprs: Expr) -> Expr:
    return _junction("and", exprs)


def or_(*exprs: Expr) -> Expr:
    return _junction("or", exprs)


def not_(expr: Expr) -> Expr:
    return _Not(_check(expr))


def _junction(op: str, exprs: tuple[Expr, ...]) -> Expr:
    parts = tuple(_check(e) for e in exprs)
    if not parts:
        raise ValueError(f"{op} needs at least one expression")
    return parts[0] if len(parts) == 1 else _Junction(op, parts)


def _check(expr: Any) -> Expr:
    if not isinstance(expr, Expr):  # a string here would be unescaped caller text
        raise TypeError(f"expected a filter expression, got {type(expr).__name__}")
    return expr


@dataclass(frozen=True)
class Query:
    filter: Expr | None = None
    select: tuple[str, ...] = ()
    orderby: tuple[str, ...] = ()  # "Name" or "Name desc"
    top: int | None = None
    skip: int | None = None
    count: bool = False
    expand: tuple[str, ...] = ()
    extra: Mapping[str, str] = field(default_factory=dict)  # e.g. {"$apply": ...}, passed as given

    def where(self, *exprs: Expr) -> Query:
        parts = ((self.filter,) if self.filter is not None else ()) + exprs
        return replace(self, filter=and_(*parts))

    def params(self) -> dict[str, str]:
        out: dict[str, str] = {}
        if self.filter is not None:
            out["$filter"] = _check(self.filter).render()
        if self.select:
            out["$select"] = ",".join(name(s) for s in self.select)
        if self.orderby:
            out["$orderby"] = ",".join(_order(o) for o in self.orderby)
        if self.top is not None:
            out["$top"] = str(_non_negative(self.top))
        if self.skip:
            out["$skip"] = str(_non_negative(self.skip))
        if self.count:
            out["$count"] = "true"
        if self.expand:
            out["$expand"] = ",".join(name(e) for e in self.expand)
        out.update(self.extra)
        return out


def encode_query(params: Mapping[str, Any]) -> str:
    """Percent-encode query options the way OData servers expect (%20, not '+')."""
    return "&".join(f"{quote(str(k), safe='$')}={quote(str(v), safe=_QUERY_SAFE)}" for k, v in params.items())


def key_predicate(keys: Mapping[str, Any] | Any) -> str:
    """`(Company='10',InvoiceId=42)`, or `('A')` for a bare single key."""
    if isinstance(keys, Mapping):
        if not keys:
            raise ValueError("empty key")
        inner = ",".join(f"{_ident(k)}={literal(v)}" for k, v in keys.items())
    else:
        inner = literal(keys)
    return "(" + inner + ")"


def entity_path(
    entity_set: str, keys: Mapping[str, Any] | Any | None = None, navigation: str | None = None
) -> str:
    """`Set`, `Set(K='A')` or `Set(K='A')/Nav`, percent-encoded for use in a URL path."""
    path = _ident(entity_set)
    if keys is not None:
        path += quote(key_predicate(keys), safe=_PATH_SAFE)
    if navigation:
        path += "/" + name(navigation)
    return path


def _ident(value: str) -> str:
    if not _IDENT.match(value):
        raise ValueError(f"not an OData identifier: {value!r}")
    return value


def _order(value: str) -> str:
    if not _ORDER.match(value):
        raise ValueError(f"not an $orderby item: {value!r}")
    return value


def _non_negative(n: int) -> int:
    if n < 0:
        raise ValueError("$top/$skip must not be negative")
    return n
