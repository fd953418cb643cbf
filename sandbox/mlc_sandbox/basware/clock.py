"""Timestamps of the simulator: integer microseconds, strictly increasing, never before the seed data."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def to_us(value: datetime) -> int:
    if value.tzinfo is None:  # a naive timestamp from a client means UTC, as in Basware's API
        value = value.replace(tzinfo=UTC)
    return (value - EPOCH) // timedelta(microseconds=1)


def from_us(us: int) -> datetime:
    return EPOCH + timedelta(microseconds=us)


def iso(us: int) -> str:
    return from_us(us).isoformat().replace("+00:00", "Z")


def parse_iso(text: str) -> int:
    """Microseconds of an ISO 8601 date or date-time; ValueError if it is neither."""
    value = text.strip()
    if value.endswith(("Z", "z")):
        value = value[:-1] + "+00:00"
    return to_us(datetime.fromisoformat(value))


class Clock:
    """`lastUpdated` values must sort after everything seen so far, else incremental reads miss changes."""

    def __init__(self, floor_us: int = 0) -> None:
        self._lock = threading.Lock()
        self._last = floor_us

    def advance_past(self, us: int) -> None:
        with self._lock:
            self._last = max(self._last, us)

    def now_us(self) -> int:
        with self._lock:
            self._last = max(self._last + 1, to_us(datetime.now(UTC)))
            return self._last
