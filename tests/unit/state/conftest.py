"""State store fixtures: every test runs on a fresh SQLite file and on a fresh PostgreSQL schema.

PostgreSQL schemas are named after this test process plus a counter, so xdist workers never meet;
each is dropped after its test, and the session drops any it left behind.
"""

from __future__ import annotations

import itertools
import os
import secrets
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, make_url, text

from ml_connector.state import StateStore
from postgres_server import admin_engine

PG_URL = os.environ.get("MLC_TEST_POSTGRES_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/test")
SCHEMA_PREFIX = f"mlc_test_{os.getpid()}_{secrets.token_hex(3)}"
_counter = itertools.count(1)
TENANT = "acme"

BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(scope="session")
def pg_admin() -> Iterator[Engine]:
    engine = admin_engine(PG_URL)
    yield engine
    with engine.connect() as conn:
        leftovers = conn.execute(
            text("SELECT nspname FROM pg_namespace WHERE left(nspname, :n) = :p"),
            {"n": len(SCHEMA_PREFIX), "p": SCHEMA_PREFIX},
        ).scalars().all()
        for name in leftovers:
            conn.execute(text(f'DROP SCHEMA "{name}" CASCADE'))
    engine.dispose()


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'state.db'}"
        return
    admin: Engine = request.getfixturevalue("pg_admin")
    schema = f"{SCHEMA_PREFIX}_{next(_counter)}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = make_url(PG_URL).update_query_dict({"options": f"-csearch_path={schema}"})
    yield url.render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))


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
