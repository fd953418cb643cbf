"""Named locks between workers that die with their holder.

The ledger's status moves are compare-and-set, but "look the proposal up in IFS, then create it" spans
HTTP calls: two overlapping runs doing it for one invoice at once both miss and both create. A lock
around that span makes the second wait and then see the first one's result. A killed worker must never
leave a lock behind, so neither kind is a row in a table:

- PostgreSQL: a session advisory lock on a connection of its own (released when it closes or dies).
- SQLite (one machine): flock() on one of 256 files beside the database (released by the kernel when
  the process dies). Two names sharing a file only wait for each other, never deadlock: a worker
  holds one lock at a time of each namespace (a folder of files of its own).
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, text

POLL_S = 0.05
SQLITE_LOCK_FILES = 256


def _digest(name: str) -> bytes:
    return hashlib.sha256(name.encode()).digest()


@contextmanager
def named_lock(engine: Engine, name: str, timeout: float, *, namespace: str = "locks") -> Iterator[bool]:
    """Hold the lock `name` for the block; yields False (not holding it) if `timeout` seconds passed.

    Locks of different `namespace`s never share a file on SQLite, so a worker may hold one of each.
    On PostgreSQL the names themselves keep them apart (64 bits of their digest)."""
    backend = engine.dialect.name
    if backend == "postgresql":
        with _pg_lock(engine, int.from_bytes(_digest(name)[:8], "big", signed=True), timeout) as held:
            yield held
    elif engine.url.database in (None, "", ":memory:"):
        yield True  # an in-memory database has one process, so nobody to exclude
    else:
        with _file_lock(Path(f"{engine.url.database}.{namespace}"), _digest(name)[0] % SQLITE_LOCK_FILES,
                        timeout) as held:
            yield held


@contextmanager
def _pg_lock(engine: Engine, key: int, timeout: float) -> Iterator[bool]:
    conn = engine.connect().execution_options(isolation_level="AUTOCOMMIT")
    held = False
    try:
        deadline = time.monotonic() + timeout
        while not (held := bool(conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar())):
            if time.monotonic() > deadline:
                break
            time.sleep(POLL_S)
        yield held
    finally:
        if held:
            try:
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
            except Exception:
                conn.invalidate()
        conn.close()


@contextmanager
def _file_lock(folder: Path, slot: int, timeout: float) -> Iterator[bool]:
    folder.mkdir(parents=True, exist_ok=True)
    fd = os.open(folder / f"{slot:03d}.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    yield False
                    return
                time.sleep(POLL_S)
        yield True
    finally:
        os.close(fd)  # closing the only descriptor of this open file releases its flock
