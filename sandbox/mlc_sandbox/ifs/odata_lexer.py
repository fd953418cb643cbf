"""Tokenizer for OData URL expressions ($filter, key predicates): literals become typed Python values.

Literals: 'text' ('' escapes a quote), 12 / -3 / 12.50, true/false/null (as names), unquoted
DateTimeOffset 2026-01-01T00:00:00Z (fraction, offset), dates 2026-01-01, and typed enums
IfsApp.SupplierHandling.PartyType'Supplier'.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from enum import Enum
from typing import Any

from mlc_sandbox.ifs import edm


class Kind(Enum):
    STRING = "string"
    NUMBER = "number"
    DATETIME = "datetime"
    DATE = "date"
    ENUM = "enum"
    NAME = "name"
    LPAREN = "("
    RPAREN = ")"
    COMMA = ","
    EQUALS = "="
    EOF = "end of expression"


@dataclass(frozen=True)
class Token:
    kind: Kind
    text: str
    pos: int
    value: Any = None


class LexError(ValueError):
    pass


# Order matters: a date-time starts like a date, which starts like a number; an enum like a name.
_PATTERNS: tuple[tuple[Kind, re.Pattern[str]], ...] = (
    (Kind.DATETIME, re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})?")),
    (Kind.DATE, re.compile(r"\d{4}-\d{2}-\d{2}(?![\w:.])")),
    (Kind.NUMBER, re.compile(r"-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?(?![\w.])")),
    (Kind.ENUM, re.compile(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+'(?:[^']|'')*'")),
    (Kind.STRING, re.compile(r"'(?:[^']|'')*'")),
    (Kind.NAME, re.compile(r"[A-Za-z_$]\w*(?:\.[A-Za-z_]\w*)*")),
)
_PUNCT = {"(": Kind.LPAREN, ")": Kind.RPAREN, ",": Kind.COMMA, "=": Kind.EQUALS}


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    pos = 0
    while pos < len(text):
        char = text[pos]
        if char.isspace():
            pos += 1
            continue
        if char in _PUNCT:
            tokens.append(Token(_PUNCT[char], char, pos))
            pos += 1
            continue
        for kind, pattern in _PATTERNS:
            match = pattern.match(text, pos)
            if match:
                tokens.append(Token(kind, match.group(), pos, _value(kind, match.group(), pos)))
                pos = match.end()
                break
        else:
            if char == "'":
                raise LexError(f"unterminated string literal at position {pos}")
            raise LexError(f"unexpected character {char!r} at position {pos}")
    tokens.append(Token(Kind.EOF, "", len(text)))
    return tokens


def _unquote(quoted: str) -> str:
    return quoted[1:-1].replace("''", "'")


def _value(kind: Kind, text: str, pos: int) -> Any:
    try:
        if kind is Kind.STRING:
            return _unquote(text)
        if kind is Kind.NUMBER:
            return Decimal(text) if any(c in text for c in ".eE") else int(text)
        if kind is Kind.DATE:
            return edm.parse_date(text)
        if kind is Kind.DATETIME:
            if not re.search(r"(Z|[+-]\d{2}:\d{2})$", text):
                raise LexError(f"DateTimeOffset {text!r} at position {pos} needs a zone: Z or +hh:mm "
                               "(a '+' must be URL-encoded as %2B)")
            return edm.parse_datetime(text)
        if kind is Kind.ENUM:
            type_name, _, quoted = text.partition("'")
            return type_name, _unquote("'" + quoted)
    except LexError:
        raise
    except ValueError as exc:  # e.g. month 13: the shape matched, the value is impossible
        raise LexError(f"invalid {kind.value} literal {text!r} at position {pos}: {exc}") from None
    return None
