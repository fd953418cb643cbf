"""StateStore: the connector's own tables, on SQLite (embedded demo) or PostgreSQL (production).

    store = StateStore(url)
    store.migrate()                      # explicit: a store never creates tables by itself
    store.advance(tenant, invoice, Status.MAPPED, ifs_company="10")
    with store.transaction() as tx:      # several operations, one commit
        tx.advance(tenant, invoice, Status.REPORTED)
        tx.advance_watermark(tenant, "invoices", last_updated)
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine

from ml_connector.state import migrate as migrations
from ml_connector.state.audit import AuditOps
from ml_connector.state.engine import READ_ONLY, make_engine, mask_url
from ml_connector.state.inbox import InboxOps
from ml_connector.state.ledger import InvoiceHistoryOps, LedgerOps
from ml_connector.state.locks import named_lock
from ml_connector.state.master_data import MasterDataOps
from ml_connector.state.quarantine import QuarantineOps
from ml_connector.state.reports import ReportOps
from ml_connector.state.runs import RunOps
from ml_connector.state.token_cache import TokenCacheOps
from ml_connector.state.vendor_versions import VendorVersionOps
from ml_connector.state.watermarks import WatermarkOps

Clock = Callable[[], datetime]
# How long a worker waits for another one to finish with the same record (an IFS upsert, normally < 1 s).
LOCK_TIMEOUT_S = 120.0


def _utcnow() -> datetime:
    return datetime.now(UTC)


class SchemaNotReady(RuntimeError):
    """The database is not at this code's schema revision: run `StateStore.migrate()` first."""


class _AllOps(LedgerOps, InvoiceHistoryOps, QuarantineOps, WatermarkOps, AuditOps, InboxOps, RunOps, MasterDataOps,
              VendorVersionOps, ReportOps, TokenCacheOps):
    pass


class UnitOfWork(_AllOps):
    """Every store operation, on one open transaction: they commit or roll back together."""

    def __init__(self, conn: Connection, clock: Clock) -> None:
        self._conn = conn
        self._clock = clock

    def _tx(self, *, read_only: bool = False) -> AbstractContextManager[Connection]:
        return nullcontext(self._conn)

    def _now(self) -> datetime:
        return self._clock()


class StateStore(_AllOps):
    def __init__(self, url: str, *, clock: Clock | None = None, **engine_kwargs: Any) -> None:
        self._engine = make_engine(url, **engine_kwargs)
        self._clock = clock or _utcnow
        self._ready = False
        # SQLite has one writer at a time. Threads of this process queue here and wake the moment the
        # writer commits; in SQLite's busy handler they slept in steps of up to 100 ms instead. An RLock:
        # a write nested in a write (a bug) still fails by SQLite's busy timeout instead of hanging.
        self._writer: AbstractContextManager[Any] = (
            threading.RLock() if self._engine.dialect.name == "sqlite" else nullcontext())

    def __repr__(self) -> str:
        return f"StateStore({mask_url(self._engine.url)!r})"

    @property
    def engine(self) -> Engine:
        return self._engine

    @property
    def dialect(self) -> str:
        return self._engine.dialect.name

    def migrate(self) -> str:
        """Upgrade to head; idempotent, and safe when several processes call it at once."""
        revision = migrations.upgrade(self._engine)
        self._ready = True
        return revision

    def schema_revision(self) -> str | None:
        with self._engine.connect().execution_options(**{READ_ONLY: True}) as conn:
            return migrations.current_revision(conn)

    @contextmanager
    def transaction(self) -> Iterator[UnitOfWork]:
        """A unit of work: commits when the block ends, rolls everything back if it raises.

        Inside it call `tx.*`, not `store.*`: on SQLite a second connection would wait for this one.
        """
        self._ensure_ready()
        with self._writer, self._engine.begin() as conn:
            yield UnitOfWork(conn, self._clock)

    def lock(self, name: str, timeout: float = LOCK_TIMEOUT_S) -> AbstractContextManager[bool]:
        """A lock shared by every worker on this store, freed when its holder dies (see locks.py).
        Yields whether it is held: False when `timeout` seconds passed first."""
        return named_lock(self._engine, name, timeout)

    def token_lock(self, slot: str, timeout: float) -> AbstractContextManager[bool]:
        """The token cache's lock on one slot (see http/tokens.TokenCache). Its own namespace: a worker
        holding an invoice's lock asks for a token under it, and must not wait on its own lock."""
        return named_lock(self._engine, f"token:{slot}", timeout, namespace="token-locks")

    def dispose(self) -> None:
        self._engine.dispose()

    def _ensure_ready(self) -> None:
        if self._ready:
            return
        found, head = self.schema_revision(), migrations.head_revision()
        if found != head:
            raise SchemaNotReady(
                f"state store {mask_url(self._engine.url)} is at schema revision {found or 'none'}, "
                f"this code needs {head}: run `StateStore.migrate()` (ml-connector migrates on start)"
            )
        self._ready = True

    @contextmanager
    def _tx(self, *, read_only: bool = False) -> Iterator[Connection]:
        self._ensure_ready()
        with nullcontext() if read_only else self._writer, self._engine.connect() as conn:
            if read_only:
                conn.execution_options(**{READ_ONLY: True})
            with conn.begin():
                yield conn

    def _now(self) -> datetime:
        return self._clock()
