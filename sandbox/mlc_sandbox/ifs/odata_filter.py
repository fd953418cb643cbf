"""$filter: recursive-descent parser to an AST, then a type-checked compile to a row predicate.

Grammar (lowest precedence first):
    or_expr  := and_expr ("or" and_expr)*
    and_expr := not_expr ("and" not_expr)*
    not_expr := "not" not_expr | compare
    compare  := operand (("eq"|"ne"|"gt"|"ge"|"lt"|"le") operand)?
    operand  := "(" or_expr ")" | literal | function "(" args ")" | property
Null follows OData: `eq null` matches nulls, ordering against null is false, logic is three-valued.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from mlc_sandbox.ifs import edm
from mlc_sandbox.ifs.errors import bad_query
from mlc_sandbox.ifs.model import EntityType
from mlc_sandbox.ifs.odata_lexer import Kind, LexError, Token, tokenize

COMPARISONS: dict[str, Callable[[Any, Any], bool]] = {
    "eq": operator.eq, "ne": operator.ne, "gt": operator.gt,
    "ge": operator.ge, "lt": operator.lt, "le": operator.le,
}
_UNSUPPORTED_OPERATORS = {"has", "in", "add", "sub", "mul", "div", "mod"}
NULL = "null"


@dataclass(frozen=True)
class Literal:
    value: Any
    type: str


@dataclass(frozen=True)
class PropertyRef:
    name: str


@dataclass(frozen=True)
class Call:
    name: str
    args: tuple[Node, ...]


@dataclass(frozen=True)
class Compare:
    op: str
    left: Node
    right: Node


@dataclass(frozen=True)
class Logical:
    op: str  # "and" | "or"
    left: Node
    right: Node


@dataclass(frozen=True)
class Not:
    operand: Node


Node = Literal | PropertyRef | Call | Compare | Logical | Not


class FilterError(ValueError):
    pass


class _Parser:
    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = tokens
        self.i = 0

    def peek(self) -> Token:
        return self.tokens[self.i]

    def next(self) -> Token:
        token = self.tokens[self.i]
        self.i += 1
        return token

    def keyword(self, *words: str) -> str | None:
        token = self.peek()
        if token.kind is Kind.NAME and token.text in words:
            self.i += 1
            return token.text
        return None

    def expect(self, kind: Kind) -> Token:
        token = self.next()
        if token.kind is not kind:
            found = repr(token.text) if token.text else "the end"
            raise FilterError(f"expected '{kind.value}' at position {token.pos}, found {found}")
        return token

    def parse(self) -> Node:
        node = self.or_expr()
        token = self.peek()
        if token.kind is not Kind.EOF:
            raise FilterError(f"unexpected {token.text!r} at position {token.pos}")
        return node

    def or_expr(self) -> Node:
        node = self.and_expr()
        while self.keyword("or"):
            node = Logical("or", node, self.and_expr())
        return node

    def and_expr(self) -> Node:
        node = self.not_expr()
        while self.keyword("and"):
            node = Logical("and", node, self.not_expr())
        return node

    def not_expr(self) -> Node:
        if self.keyword("not"):
            return Not(self.not_expr())
        return self.compare()

    def compare(self) -> Node:
        left = self.operand()
        token = self.peek()
        if token.kind is Kind.NAME and token.text in _UNSUPPORTED_OPERATORS:
            raise FilterError(f"operator {token.text!r} is not supported (position {token.pos})")
        op = self.keyword(*COMPARISONS)
        return Compare(op, left, self.operand()) if op else left

    def operand(self) -> Node:
        token = self.next()
        if token.kind is Kind.LPAREN:
            node = self.or_expr()
            self.expect(Kind.RPAREN)
            return node
        literal_types = {Kind.STRING: edm.STRING, Kind.DATE: edm.DATE, Kind.DATETIME: edm.DATETIME}
        if token.kind in literal_types:
            return Literal(token.value, literal_types[token.kind])
        if token.kind is Kind.NUMBER:
            return Literal(token.value, edm.INT64 if isinstance(token.value, int) else edm.DECIMAL)
        if token.kind is Kind.ENUM:
            return Literal(token.value, "enum")
        if token.kind is Kind.NAME:
            words = {"true": Literal(True, edm.BOOLEAN), "false": Literal(False, edm.BOOLEAN),
                     "null": Literal(None, NULL)}
            if token.text in words:
                return words[token.text]
            if token.text in COMPARISONS or token.text in ("and", "or", "not"):
                raise FilterError(f"expected an operand at position {token.pos}, found {token.text!r}")
            if self.peek().kind is Kind.LPAREN:
                self.next()
                args: list[Node] = []
                if self.peek().kind is not Kind.RPAREN:
                    args.append(self.or_expr())
                    while self.peek().kind is Kind.COMMA:
                        self.next()
                        args.append(self.or_expr())
                self.expect(Kind.RPAREN)
                return Call(token.text, tuple(args))
            return PropertyRef(token.text)
        found = repr(token.text) if token.text else "the end"
        raise FilterError(f"expected an operand at position {token.pos}, found {found}")


def parse_filter(text: str) -> Node:
    if not text.strip():
        raise FilterError("empty $filter")
    try:
        return _Parser(tokenize(text)).parse()
    except LexError as exc:
        raise FilterError(str(exc)) from None


# -- type check and compile -------------------------------------------------------------------------
Values = Mapping[str, Any]
Compiled = tuple[Callable[[Values], Any], str]

S, I32, B, D, DT = edm.STRING, edm.INT32, edm.BOOLEAN, edm.DATE, edm.DATETIME
Impl = Callable[..., Any]
# name -> overloads (argument types, result type, implementation); null in, null out.
_FUNCTIONS: dict[str, tuple[tuple[tuple[str, ...], str, Impl], ...]] = {
    "contains": (((S, S), B, lambda a, b: b in a),),
    "startswith": (((S, S), B, lambda a, b: a.startswith(b)),),
    "endswith": (((S, S), B, lambda a, b: a.endswith(b)),),
    "tolower": (((S,), S, str.lower),),
    "toupper": (((S,), S, str.upper),),
    "trim": (((S,), S, str.strip),),
    "length": (((S,), I32, len),),
    "indexof": (((S, S), I32, lambda a, b: a.find(b)),),  # zero-based, -1 when absent (OData)
    "substring": (((S, I32), S, lambda s, i: s[max(i, 0):]),
                  ((S, I32, I32), S, lambda s, i, n: s[max(i, 0):max(i, 0) + max(n, 0)])),
    "concat": (((S, S), S, lambda a, b: a + b),),
    # DateTimeOffset values are kept in UTC, so the parts are UTC parts.
    "year": (((DT,), I32, lambda d: d.year), ((D,), I32, lambda d: d.year)),
    "month": (((DT,), I32, lambda d: d.month), ((D,), I32, lambda d: d.month)),
    "day": (((DT,), I32, lambda d: d.day), ((D,), I32, lambda d: d.day)),
    "hour": (((DT,), I32, lambda d: d.hour),),
    "minute": (((DT,), I32, lambda d: d.minute),),
    "second": (((DT,), I32, lambda d: d.second),),
    "date": (((DT,), D, lambda d: d.date()),),
}
_INTEGERS = frozenset({edm.INT32, edm.INT64})


@dataclass(frozen=True)
class _Scope:
    etype: EntityType
    now: datetime  # now(): one instant for the whole request (the simulator's clock)


def compile_filter(text: str, etype: EntityType, now: datetime | None = None) -> Callable[[Values], bool]:
    """A predicate over a row's values; IfsError 400 (IFS body) for any syntax or type problem."""
    scope = _Scope(etype, now or datetime.now(UTC))
    try:
        fn, type_name = _compile(parse_filter(text), scope)
        if type_name != edm.BOOLEAN:
            raise FilterError(f"$filter must be a boolean expression, this one is {type_name}")
    except FilterError as exc:
        raise bad_query(str(exc), "$filter") from None
    return lambda values: fn(values) is True


def _compile(node: Node, scope: _Scope) -> Compiled:
    if isinstance(node, Literal):
        return _literal(node, scope)
    if isinstance(node, PropertyRef):
        prop = scope.etype.prop(node.name)
        if prop is None:
            raise FilterError(f"property {node.name!r} does not exist in type {scope.etype.full_name}")
        name = node.name
        return (lambda v: v.get(name)), prop.type_name
    if isinstance(node, Call):
        return _call(node, scope)
    if isinstance(node, Not):
        fn, _ = _boolean(node.operand, scope, "not")
        return (lambda v: None if (x := fn(v)) is None else not x), edm.BOOLEAN
    if isinstance(node, Logical):
        left, _ = _boolean(node.left, scope, node.op)
        right, _ = _boolean(node.right, scope, node.op)
        return (_kleene_and if node.op == "and" else _kleene_or)(left, right), edm.BOOLEAN
    return _compare(node, scope)


def _literal(node: Literal, scope: _Scope) -> Compiled:
    value, type_name = node.value, node.type
    if type_name == "enum":
        enum_name, member = value
        enum = next((e for e in scope.etype.enums() if e.full_name == enum_name), None)
        if enum is None:
            raise FilterError(f"unknown enumeration type {enum_name!r}")
        if member not in enum.members:
            raise FilterError(f"{member!r} is not a member of {enum_name} ({', '.join(enum.members)})")
        value, type_name = member, enum_name
    return (lambda v: value), type_name


def _call(node: Call, scope: _Scope) -> Compiled:
    overloads = _FUNCTIONS.get(node.name)
    if node.name == "now":
        if node.args:
            raise FilterError("now() takes no arguments")
        now = scope.now
        return (lambda v: now), DT
    if overloads is None:
        raise FilterError(f"function {node.name!r} is not supported")
    args = [_compile(a, scope) for a in node.args]
    types = [type_name for _, type_name in args]
    chosen = next((o for o in overloads if _fits(o[0], types)), None)
    if chosen is None:
        wanted = " or ".join(f"({', '.join(o[0])})" for o in overloads)
        raise FilterError(f"{node.name}() takes {wanted}, got ({', '.join(types)})")
    _, result_type, impl = chosen
    fns = [fn for fn, _ in args]

    def call(v: Values) -> Any:
        values = [fn(v) for fn in fns]
        return None if any(x is None for x in values) else impl(*values)

    return call, result_type


def _fits(params: tuple[str, ...], types: list[str]) -> bool:
    if len(params) != len(types):
        return False
    return all(t in (p, NULL) or (p == I32 and t in _INTEGERS) for p, t in zip(params, types, strict=True))


def _boolean(node: Node, scope: _Scope, context: str) -> Compiled:
    fn, type_name = _compile(node, scope)
    if type_name != edm.BOOLEAN:
        raise FilterError(f"operand of {context!r} must be boolean, got {type_name}")
    return fn, type_name


def _kleene_and(left: Callable[[Values], Any], right: Callable[[Values], Any]) -> Callable[[Values], Any]:
    def both(v: Values) -> Any:
        a = left(v)
        if a is False:
            return False
        b = right(v)
        return False if b is False else (None if a is None or b is None else True)
    return both


def _kleene_or(left: Callable[[Values], Any], right: Callable[[Values], Any]) -> Callable[[Values], Any]:
    def either(v: Values) -> Any:
        a = left(v)
        if a is True:
            return True
        b = right(v)
        return True if b is True else (None if a is None or b is None else False)
    return either


def _compare(node: Compare, scope: _Scope) -> Compiled:
    left, lt = _compile(node.left, scope)
    right, rt = _compile(node.right, scope)
    _check_comparable(node.op, lt, rt)
    op = COMPARISONS[node.op]
    if node.op in ("eq", "ne"):
        return (lambda v: op(left(v), right(v))), edm.BOOLEAN

    def ordered(v: Values) -> bool:
        a, b = left(v), right(v)
        return False if a is None or b is None else op(a, b)

    return ordered, edm.BOOLEAN


def _check_comparable(op: str, lt: str, rt: str) -> None:
    if NULL in (lt, rt):
        return
    if lt in edm.NUMERIC and rt in edm.NUMERIC:
        return
    if lt == rt:
        if op not in ("eq", "ne") and (lt == edm.BOOLEAN or lt.startswith("IfsApp.")):
            raise FilterError(f"operator {op!r} cannot order values of type {lt}")
        return
    types = {lt, rt}
    if edm.DATETIME in types and edm.STRING in types:
        raise FilterError("DateTimeOffset literals are not quoted: "
                          "write ModifiedDate gt 2026-01-01T00:00:00Z")
    if edm.STRING in types and any(t.startswith("IfsApp.") for t in types):
        enum_type = next(t for t in types if t.startswith("IfsApp."))
        raise FilterError(f"enumeration values need a typed literal: {enum_type}'Value'")
    raise FilterError(f"cannot compare {lt} with {rt}")

