"""State store fixtures: every test runs on a fresh SQLite file and on a fresh PostgreSQL schema
(`db_url`, see postgres_server)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

import postgres_server
from ml_connector.state import StateStore

# A fresh SQLite file and a fresh PostgreSQL schema per test (see postgres_server).
pg_admin = postgres_server.pg_admin
db_url = postgres_server.db_url


@pytest.fixture
def make_store(db_url: str) -> Iterator[Callable[[], StateStore]]:
    """More stores (engines) on the same database, as separate workers would have."""
    made: list[StateStore] = []

    def make() -> StateStore:
        made.append(StateStore(db_url))
        return made[-1]

    yield make
    for store in made:
        store.dispose()


@pytest.fixture
def store(make_store: Callable[[], StateStore]) -> StateStore:
    s = make_store()
    s.migrate()
    return s
