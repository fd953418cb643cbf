"""Small value conversions shared by the flow: amounts, dates, timestamps."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

AMOUNT_PLACES = Decimal("0.0001")  # the ledger keeps 4 decimals (state/types.py)


def decimal_or_none(value: Any) -> Decimal | None:
    """A Decimal from a JSON value (string, int or float via its repr), or None if it is not one."""
    if value is None or isinstance(value, bool):
        return None
    try:
        result = Decimal(str(value)) if isinstance(value, float) else Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        return None
    return result if result.is_finite() else None


def ledger_amount(value: Any) -> Decimal | None:
    """An amount the ledger can store exactly; None for garbage or more than 4 decimals."""
    amount = decimal_or_none(value)
    if amount is None or amount != amount.quantize(AMOUNT_PLACES):
        return None
    return amount


def parse_date(value: Any) -> date | None:
    """`2026-09-25` or a date-time starting with it; None when absent or not a date."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or len(value) < 10:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


def parse_timestamp(value: Any) -> datetime | None:
    """An aware UTC datetime from ISO 8601 text (Z or offset; naive text is taken as UTC)."""
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str) and value:
        text = value.strip()
        if text.endswith(("Z", "z")):
            text = text[:-1] + "+00:00"
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            return None
    else:
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def iso(value: datetime | None) -> str | None:
    return None if value is None else value.astimezone(UTC).isoformat()
