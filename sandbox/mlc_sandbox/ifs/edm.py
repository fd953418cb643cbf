"""EDM primitive types: JSON body values -> Python values (Decimal, date, aware datetime) and back."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

STRING = "Edm.String"
INT32 = "Edm.Int32"
INT64 = "Edm.Int64"
DECIMAL = "Edm.Decimal"
BOOLEAN = "Edm.Boolean"
DATE = "Edm.Date"
DATETIME = "Edm.DateTimeOffset"
NUMERIC = frozenset({INT32, INT64, DECIMAL})

_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")
_DATETIME_RE = re.compile(r"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2})?)(?:\.(\d+))?(Z|[+-]\d{2}:\d{2})")


def parse_date(text: str) -> date:
    if not _DATE_RE.fullmatch(text):
        raise ValueError(f"{text!r} is not an Edm.Date (YYYY-MM-DD)")
    return date.fromisoformat(text)


def parse_datetime(text: str) -> datetime:
    """ISO 8601 with a zone (Z or +hh:mm), any number of fraction digits; returned in UTC."""
    match = _DATETIME_RE.fullmatch(text)
    if not match:
        raise ValueError(f"{text!r} is not an Edm.DateTimeOffset (e.g. 2026-01-01T00:00:00Z)")
    base, fraction, zone = match.groups()
    fraction = (fraction or "")[:6].ljust(6, "0")  # Python keeps microseconds; IFS keeps seconds anyway
    value = datetime.fromisoformat(f"{base}.{fraction}{'+00:00' if zone == 'Z' else zone}")
    return value.astimezone(UTC)


def format_datetime(value: datetime) -> str:
    text = value.astimezone(UTC).isoformat()
    return text.replace("+00:00", "Z")


def to_json(value: Any) -> Any:
    """json.dumps `default`: amounts as JSON numbers, dates as OData literals."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, datetime):
        return format_datetime(value)
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"cannot serialise {type(value).__name__}")


def from_json(edm_type: str, value: Any, members: tuple[str, ...] = ()) -> Any:
    """A JSON body value for a property of `edm_type`; ValueError names what is wrong."""
    if value is None:
        return None
    if members:
        if not isinstance(value, str) or value not in members:
            raise ValueError(f"{value!r} is not one of {', '.join(members)}")
        return value
    if edm_type == STRING:
        if not isinstance(value, str):
            raise ValueError(f"expected a string, got {type(value).__name__}")
        return value
    if edm_type in (INT32, INT64):
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"expected an integer, got {value!r}")
        return value
    if edm_type == DECIMAL:
        # Bodies are parsed with parse_float=Decimal; numeric strings need IEEE754Compatible, which IFS
        # clients do not send, so a string amount is a client bug worth surfacing.
        if isinstance(value, bool) or not isinstance(value, (int, Decimal)):
            raise ValueError(f"expected a JSON number, got {value!r}")
        return Decimal(value)
    if edm_type == BOOLEAN:
        if not isinstance(value, bool):
            raise ValueError(f"expected true or false, got {value!r}")
        return value
    if edm_type == DATE:
        if not isinstance(value, str):
            raise ValueError(f"expected a date string, got {value!r}")
        return parse_date(value)
    if edm_type == DATETIME:
        if not isinstance(value, str):
            raise ValueError(f"expected a date-time string, got {value!r}")
        return parse_datetime(value)
    raise ValueError(f"unsupported type {edm_type}")
