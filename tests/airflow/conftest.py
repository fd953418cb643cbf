"""Fixtures for the invoice DAG tests: `dag_env` (SQLite state store), `pg_dag_env` (PostgreSQL state
store), `pg_airflow_db` (Airflow's metadata DB on PostgreSQL for child processes). Helpers: dag_support.py."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from dag_support import PG_ADMIN_URL, DagEnv, make_dag_env
from sqlalchemy import create_engine, make_url, text

from postgres_server import admin_engine


@pytest.fixture()
def dag_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, airflow_db: str) -> Iterator[DagEnv]:
    """The demo tenant wired to a fresh sandbox, with a SQLite state store."""
    state = tmp_path / "state.db"
    conn = {"conn_type": "sqlite", "host": str(state)}
    yield from make_dag_env(tmp_path, monkeypatch, conn, f"sqlite:///{state}")


# -- PostgreSQL ------------------------------------------------------------------------------------
def _pg_admin() -> Any:
    return admin_engine(PG_ADMIN_URL)


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """A database of this test worker's own on the PostgreSQL server, dropped at the end of the session."""
    admin = _pg_admin()
    name = f"mlc_af_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}_{os.getpid()}_{secrets.token_hex(3)}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture()
def pg_state(pg_database: str) -> Iterator[tuple[dict[str, Any], str]]:
    """A fresh schema in the worker's database for one test's state store: (Airflow connection, URL)."""
    schema = f"state_{secrets.token_hex(4)}"
    engine = create_engine(pg_database, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = make_url(pg_database)
    conn_json = {"conn_type": "postgres", "host": url.host, "port": url.port or 5432, "login": url.username,
                 "schema": url.database, "extra": {"options": f"-csearch_path={schema}"}}
    if url.password:
        conn_json["password"] = url.password
    try:
        yield conn_json, url.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(
            hide_password=False)
    finally:
        with engine.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        engine.dispose()


@pytest.fixture()
def pg_dag_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, airflow_db: str,
               pg_state: tuple[dict[str, Any], str]) -> Iterator[DagEnv]:
    """The demo tenant wired to a fresh sandbox, with its state store in PostgreSQL."""
    yield from make_dag_env(tmp_path, monkeypatch, pg_state[0], pg_state[1])


@pytest.fixture(scope="session")
def pg_airflow_db(pg_database: str, airflow_db: str) -> dict[str, str]:
    """Airflow's metadata DB in the worker's PostgreSQL database (migrated once per session): the
    environment a child process needs to use it instead of the worker's SQLite one."""
    env = {"AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": pg_database}
    done = subprocess.run([sys.executable, "-m", "airflow", "db", "migrate"], check=False, capture_output=True,
                          text=True, env={**os.environ, **env}, timeout=300)
    assert done.returncode == 0, f"airflow db migrate on PostgreSQL failed:\n{done.stderr[-4000:]}"
    return env
