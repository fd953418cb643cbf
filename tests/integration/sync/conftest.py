"""Fixtures: `env` runs the flow on a fresh Sandbox and a SQLite store in tmp_path; `pg_url` gives a
fresh PostgreSQL schema per test (skipped when the server is unreachable)."""

from __future__ import annotations

import itertools
import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import make_url, text

from postgres_server import admin_engine

from .support import Env, make_env

PG_URL = os.environ.get("MLC_TEST_POSTGRES_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/test")
_SCHEMAS = itertools.count(1)


@pytest.fixture
def env(tmp_path: Path) -> Iterator[Env]:
    yield from make_env(tmp_path)


@pytest.fixture
def pg_env(tmp_path: Path, pg_url: str) -> Iterator[Env]:
    """`env` with its state store on the PostgreSQL server (the production path)."""
    env = make_env(tmp_path, pg_url)
    yield next(env)
    env.close()


@pytest.fixture
def pg_url() -> Iterator[str]:
    admin = admin_engine(PG_URL)
    schema = f"mlc_sync_{os.getpid()}_{secrets.token_hex(3)}_{next(_SCHEMAS)}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield make_url(PG_URL).update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(
            hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
