"""What every group of store operations builds on: a transaction to run in and a clock."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Connection, Table
from sqlalchemy.dialects import postgresql, sqlite

T = TypeVar("T")


class Ops:
    """Operations are written once against `_tx()`.

    The store opens one transaction per call; a unit of work hands out its own, so several
    operations commit or roll back together.
    """

    def _tx(self, *, read_only: bool = False) -> AbstractContextManager[Connection]:
        raise NotImplementedError

    def _now(self) -> datetime:
        raise NotImplementedError


def upsert(conn: Connection, table: Table) -> Any:
    """The dialect's INSERT, which knows ON CONFLICT (the generic one does not)."""
    if conn.dialect.name == "postgresql":
        return postgresql.insert(table)
    if conn.dialect.name == "sqlite":
        return sqlite.insert(table)
    raise NotImplementedError(f"no upsert for dialect {conn.dialect.name}")


def chunks(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
