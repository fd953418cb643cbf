"""Column types that behave the same on SQLite and PostgreSQL: UTC datetimes and exact amounts."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime
from decimal import Decimal, Inexact, localcontext
from enum import Enum
from typing import Any

from sqlalchemy import JSON, BigInteger, DateTime, Dialect, Numeric, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.types import TypeDecorator, TypeEngine

AMOUNT_SCALE = 4  # enough for every ISO 4217 currency plus unit prices
_QUANT = Decimal(1).scaleb(-AMOUNT_SCALE)

NUL_STAND_IN = "\ufffd"


def without_nul(value: Any) -> Any:
    """`value` with every NUL in its strings (keys too) replaced: PostgreSQL refuses U+0000 in JSONB and
    text, so one hostile field would otherwise fail the whole transaction, run after run."""
    if isinstance(value, str):
        return value.replace("\x00", NUL_STAND_IN)
    if isinstance(value, dict):
        return {without_nul(k): without_nul(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [without_nul(v) for v in value]
    return value


class CleanText(TypeDecorator[str]):
    """Text whose NULs are stored as U+FFFD: error texts and reasons quote outside values."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        return None if value is None else without_nul(value)


class JSONType(TypeDecorator[Any]):
    """JSON on SQLite, JSONB on PostgreSQL; a NUL in a string is stored as U+FFFD on both."""

    impl = JSON
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        return dialect.type_descriptor(JSONB() if dialect.name == "postgresql" else JSON())

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        return without_nul(value)


def utc(value: datetime | str) -> datetime:
    """An aware UTC datetime; naive values are refused because their zone is a guess."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        raise ValueError(f"naive datetime {value!r}: pass a timezone-aware value")
    return value.astimezone(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """timestamptz on PostgreSQL; on SQLite a fixed-width UTC string, so text order is time order."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | str | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        value = utc(value)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def to_amount(value: Decimal | int | str) -> Decimal:
    """Decimal quantized to AMOUNT_SCALE; floats and extra digits are refused, never rounded."""
    if isinstance(value, float):
        raise TypeError("amounts must be Decimal, int or str, not float")
    with localcontext() as ctx:
        ctx.traps[Inexact] = True
        ctx.prec = 38
        return Decimal(value).quantize(_QUANT)


class Amount(TypeDecorator[Decimal]):
    """NUMERIC(19,4) on PostgreSQL; on SQLite a scaled integer, because SQLite sums NUMERIC as float."""

    impl = Numeric(19, AMOUNT_SCALE)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(BigInteger())
        return dialect.type_descriptor(Numeric(19, AMOUNT_SCALE, asdecimal=True))

    def process_bind_param(self, value: Decimal | int | str | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        amount = to_amount(value)
        return int(amount.scaleb(AMOUNT_SCALE)) if dialect.name == "sqlite" else amount

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        if dialect.name == "sqlite":
            return Decimal(int(value)).scaleb(-AMOUNT_SCALE).quantize(_QUANT)
        return Decimal(value).quantize(_QUANT)


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)  # a string keeps every digit; a float would not
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def json_dumps(value: Any) -> str:
    return json.dumps(value, default=_json_default, separators=(",", ":"))
