"""The PostgreSQL server the production-path tests use (127.0.0.1:5432, trust auth), and the fixtures
that run a test on a fresh SQLite file and on a fresh PostgreSQL schema (`db_url`).

PostgreSQL schemas are named after this test process plus a counter, so xdist workers never meet;
each is dropped after its test, and the session drops any it left behind. A conftest that wants the
fixtures imports them: `from postgres_server import db_url, pg_admin`.
"""

from __future__ import annotations

import itertools
import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, make_url, text
from sqlalchemy.exc import OperationalError

from ml_connector.state import mask_url


def admin_engine(url: str) -> Engine:
    """An AUTOCOMMIT engine for CREATE/DROP; skips the test when the server is unreachable, unless
    $MLC_REQUIRE_POSTGRES is set (CI sets it: there the production paths must run, never skip)."""
    engine = create_engine(url, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3})
    try:
        with engine.connect():
            pass
    except OperationalError as exc:
        engine.dispose()
        if os.environ.get("MLC_REQUIRE_POSTGRES"):
            raise
        pytest.skip(f"PostgreSQL unreachable at {mask_url(url)}: {' '.join(str(exc.orig).split())}")
    return engine


PG_URL = os.environ.get("MLC_TEST_POSTGRES_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/test")
SCHEMA_PREFIX = f"mlc_test_{os.getpid()}_{secrets.token_hex(3)}"
_counter = itertools.count(1)

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
