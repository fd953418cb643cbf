"""The state store as the token cache: rows per slot, discard-if-unchanged, purge, and its own lock."""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from ml_connector.state import StateStore
from ml_connector.state.locks import SQLITE_LOCK_FILES
from ml_connector.state.models import token_cache

SLOT_A, SLOT_B = "a" * 64, "b" * 64


def test_a_saved_row_is_loaded_replaced_and_discarded_only_while_unchanged(store: StateStore) -> None:
    later = time.time() + 180
    assert store.load_token(SLOT_A) is None
    store.save_token(SLOT_A, b"\x01first", later)
    store.save_token(SLOT_B, b"\x01other", later)
    assert store.load_token(SLOT_A) == b"\x01first"

    store.save_token(SLOT_A, b"\x01second", later)
    assert store.load_token(SLOT_A) == b"\x01second"
    store.discard_token(SLOT_A, b"\x01first")  # a process still holding the refused old one
    assert store.load_token(SLOT_A) == b"\x01second"
    store.discard_token(SLOT_A, b"\x01second")
    assert store.load_token(SLOT_A) is None
    assert store.load_token(SLOT_B) == b"\x01other"


def test_rows_expired_over_an_hour_are_purged_by_the_next_save(store: StateStore) -> None:
    now = time.time()
    store.save_token(SLOT_A, b"\x01long-gone", now - 3700)
    store.save_token(SLOT_B, b"\x01just-expired", now - 60)
    store.save_token("c" * 64, b"\x01fresh", now + 100)

    with store.engine.connect() as conn:
        rows = {r.slot: r for r in conn.execute(select(token_cache))}
    assert set(rows) == {SLOT_B, "c" * 64}
    assert rows["c" * 64].expires_at == datetime.fromtimestamp(now + 100, UTC)
    assert abs(rows["c" * 64].saved_at - datetime.now(UTC)) < timedelta(seconds=30)


def _same_file_slot(invoice_lock: str) -> str:
    """A token slot whose lock name would have shared the invoice lock's file without namespaces."""
    file_of = lambda name: hashlib.sha256(name.encode()).digest()[0] % SQLITE_LOCK_FILES  # noqa: E731
    return next(slot for n in range(100_000)
                if file_of(f"token:{(slot := f'{n:064x}')}") == file_of(invoice_lock))


def test_a_worker_holding_an_invoice_lock_gets_the_token_lock_of_any_slot(store: StateStore) -> None:
    name = "invoice:acme:4711"
    slot = _same_file_slot(name)
    with store.lock(name, timeout=1) as held, store.token_lock(slot, timeout=0.5) as token_held:
        assert held and token_held


def test_the_token_lock_excludes_another_worker_until_released(
        make_store: Callable[[], StateStore], store: StateStore) -> None:
    other = make_store()
    entered = threading.Event()
    release = threading.Event()

    def holder() -> None:
        with store.token_lock(SLOT_A, timeout=5) as held:
            assert held
            entered.set()
            release.wait(10)

    thread = threading.Thread(target=holder)
    thread.start()
    assert entered.wait(10)
    with other.token_lock(SLOT_A, timeout=0.3) as held:
        assert not held
    with other.token_lock(SLOT_B, timeout=0.3) as held:
        assert held
    release.set()
    thread.join(10)
    with other.token_lock(SLOT_A, timeout=2) as held:
        assert held
