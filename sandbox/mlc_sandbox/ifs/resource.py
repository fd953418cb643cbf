"""Resource paths after `{Projection}.svc`: `Set`, `Set(Key='A',No=1)`, `Set(...)/NavArray`, `$count`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from mlc_sandbox.ifs import edm
from mlc_sandbox.ifs.errors import bad_query
from mlc_sandbox.ifs.model import EntityType
from mlc_sandbox.ifs.odata_lexer import Kind, LexError, Token, tokenize


@dataclass(frozen=True)
class Segment:
    name: str
    # None: no parentheses; else (property name or None for the short form, literal token) pairs
    key: tuple[tuple[str | None, Token], ...] | None = None


def parse_path(path: str) -> list[Segment]:
    segments: list[Segment] = []
    i = 0
    while i < len(path):
        if path[i] == "/":
            i += 1
            continue
        start = i
        while i < len(path) and path[i] not in "/(":
            i += 1
        name = path[start:i]
        if not name:
            raise bad_query(f"empty segment name in {path!r}", "path")
        key = None
        if i < len(path) and path[i] == "(":
            end = _closing_paren(path, i)
            key = _key_predicate(unquote(path[i + 1:end]))  # %2F and %25 are still encoded here
            i = end + 1
            if i < len(path) and path[i] != "/":
                raise bad_query(f"unexpected {path[i:]!r} after key predicate", "path")
        segments.append(Segment(name, key))
    return segments


def _closing_paren(path: str, open_at: int) -> int:
    in_quote = False
    for j in range(open_at + 1, len(path)):
        if path[j] == "'":
            in_quote = not in_quote  # '' inside a string toggles twice: still inside
        elif path[j] == "/":  # a raw '/' ends the path segment, quotes or not (RFC 3986): must be %2F
            break
        elif path[j] == ")" and not in_quote:
            return j
    raise bad_query(f"unclosed key predicate in {path!r}", "path")


_LITERALS = (Kind.STRING, Kind.NUMBER, Kind.DATE, Kind.DATETIME)


def _key_predicate(text: str) -> tuple[tuple[str | None, Token], ...]:
    try:
        tokens = tokenize(text)
    except LexError as exc:
        raise bad_query(str(exc), "key") from None
    if len(tokens) == 2 and tokens[0].kind in _LITERALS:
        return ((None, tokens[0]),)
    # Named form: Name=literal, separated by commas (groups of four tokens, the last ends with EOF).
    pairs: list[tuple[str | None, Token]] = []
    for start in range(0, len(tokens) - 1, 4):
        name, eq, value, sep = (tokens[start:start + 4] + [tokens[-1]] * 4)[:4]
        last = sep.kind is Kind.EOF
        if (name.kind is not Kind.NAME or eq.kind is not Kind.EQUALS or value.kind not in _LITERALS
                or not (last or sep.kind is Kind.COMMA)):
            break
        pairs.append((name.text, value))
        if last:
            return tuple(pairs)
    raise bad_query(f"malformed key predicate ({text})", "key")


def key_values(etype: EntityType, segment: Segment, fixed: dict[str, Any] | None = None) -> tuple[Any, ...]:
    """The full key of `etype` from a predicate; navigation fills the parent's part (`fixed`)."""
    fixed = fixed or {}
    open_keys = [k for k in etype.keys if k not in fixed]
    assert segment.key is not None
    if len(segment.key) == 1 and segment.key[0][0] is None:
        if len(open_keys) != 1:
            raise bad_query(f"{etype.entity_set} needs the named key {', '.join(etype.keys)}", "key")
        given = {open_keys[0]: segment.key[0][1]}
    else:
        given = {name: token for name, token in segment.key if name is not None}
        if len(given) != len(segment.key):
            raise bad_query("a key property is given twice", "key")
    unknown = set(given) - set(etype.keys)
    if unknown:
        raise bad_query(f"{', '.join(sorted(unknown))} is not a key of {etype.entity_set}", "key")
    values = dict(fixed)
    for name, token in given.items():
        value = _typed(etype, name, token)
        if name in fixed and fixed[name] != value:
            return ()  # a navigation key that contradicts its parent: no such entity
        values[name] = value
    missing = [k for k in etype.keys if k not in values]
    if missing:
        raise bad_query(f"key {', '.join(missing)} of {etype.entity_set} is missing", "key")
    return tuple(values[k] for k in etype.keys)


def _typed(etype: EntityType, name: str, token: Token) -> Any:
    prop = etype.prop(name)
    assert prop is not None
    expected = {edm.STRING: Kind.STRING, edm.INT32: Kind.NUMBER, edm.INT64: Kind.NUMBER,
                edm.DATE: Kind.DATE, edm.DATETIME: Kind.DATETIME}.get(prop.type)
    if token.kind is not expected or (token.kind is Kind.NUMBER and not isinstance(token.value, int)):
        raise bad_query(f"key {name} is {prop.type}: {token.text} does not fit", "key")
    return token.value


def format_key(etype: EntityType, values: dict[str, Any]) -> str:
    """`Company='10',InvoiceId=1` for Location headers and admin output."""
    parts = []
    for k in etype.keys:
        v = values[k]
        text = "'" + v.replace("'", "''") + "'" if isinstance(v, str) else (
            v.isoformat() if hasattr(v, "isoformat") else str(v))
        parts.append(f"{k}={text}")
    return ",".join(parts)
