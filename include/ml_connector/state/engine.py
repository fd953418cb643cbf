"""Engines for the store: SQLite tuned for several processes on one file, PostgreSQL as it comes."""

from __future__ import annotations

import sqlite3
import time
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, make_url
from sqlalchemy.engine import URL
from sqlalchemy.pool import StaticPool

from ml_connector.state.types import json_dumps

SQLITE_BUSY_TIMEOUT_S = 30.0
SUPPORTED = ("sqlite", "postgresql")
# Read-only store calls set this so that SQLite readers do not queue behind writers.
READ_ONLY = "mlc_read_only"


def mask_url(url: str | URL) -> str:
    """The URL for logs and messages: the password never leaves unmasked."""
    return make_url(url).render_as_string(hide_password=True)


def make_engine(url: str | URL, **kwargs: Any) -> Engine:
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend not in SUPPORTED:
        raise ValueError(f"unsupported state store backend {backend!r} in {mask_url(parsed)}")
    kwargs.setdefault("json_serializer", json_dumps)
    if backend == "postgresql":
        kwargs.setdefault("pool_pre_ping", True)
        return create_engine(parsed, **kwargs)
    if parsed.database in (None, "", ":memory:"):
        # One shared connection, or every checkout would see its own empty database.
        kwargs.setdefault("poolclass", StaticPool)
        kwargs.setdefault("connect_args", {"check_same_thread": False})
    engine = create_engine(parsed, **kwargs)
    _take_over_sqlite_transactions(engine)
    return engine


def _take_over_sqlite_transactions(engine: Engine) -> None:
    """WAL + busy timeout, and real BEGINs (the sqlite3 module skips them before DDL and SELECT).

    Writers start with BEGIN IMMEDIATE: taking the write lock up front means a second writer waits
    for the busy timeout instead of failing when it would upgrade a read lock mid-transaction.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we emit BEGIN ourselves
        cur = dbapi_conn.cursor()
        try:
            cur.execute(f"PRAGMA busy_timeout = {int(SQLITE_BUSY_TIMEOUT_S * 1000)}")
            _enable_wal(cur)
            # In WAL mode NORMAL survives a killed process (only power loss can drop the last commits,
            # and every step they record is repeated idempotently); FULL's fsync per commit
            # serialised the workers of a batch (about 1.5 ms each, several commits per invoice).
            cur.execute("PRAGMA synchronous = NORMAL")
        finally:
            cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        read_only = conn.get_execution_options().get(READ_ONLY, False)
        conn.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


def _enable_wal(cur: sqlite3.Cursor) -> None:
    """Switch a new file to WAL (the mode sticks to the file); retried because the switch fails
    at once, without waiting for the busy timeout, while another process holds a lock."""
    if cur.execute("PRAGMA journal_mode").fetchone()[0] == "wal":
        return
    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_S
    while True:
        try:
            cur.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if exc.sqlite_errorname != "SQLITE_BUSY" or time.monotonic() > deadline:
                raise
            time.sleep(0.02)
