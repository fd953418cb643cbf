"""The state store reached through an Airflow connection (default id `ml_connector_state`).

Airflow 3 tasks cannot open Airflow's metadata DB, so the ledger, quarantine, watermarks and audit
trail live in our own tables. Without the connection the embedded default is a SQLite file in
AIRFLOW_HOME; production points the connection at PostgreSQL.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any
from urllib.parse import quote

from ml_connector.state import StateStore

STATE_CONN_ID = "ml_connector_state"
_STORES: dict[str, StateStore] = {}
_LOCK = threading.Lock()


def default_state_url() -> str:
    home = Path(os.environ.get("AIRFLOW_HOME") or Path.home() / "airflow")
    return f"sqlite:///{home / 'ml_connector_state.db'}"


def sqlalchemy_url(conn: Any) -> str:
    """An Airflow connection -> SQLAlchemy URL. `extra.sqlalchemy_url` wins; else by conn_type."""
    extra = conn.extra_dejson
    if extra.get("sqlalchemy_url"):
        return str(extra["sqlalchemy_url"])
    conn_type = (conn.conn_type or "").lower()
    if conn_type == "sqlite":
        return f"sqlite:///{conn.host}"
    if conn_type in ("postgres", "postgresql"):
        auth = quote(conn.login or "", safe="")
        if conn.password:
            auth += ":" + quote(conn.password, safe="")
        host = f"{conn.host or 'localhost'}:{conn.port or 5432}"
        url = f"postgresql+psycopg2://{auth}@{host}/{conn.schema or 'postgres'}"
        if extra.get("options"):
            url += "?options=" + quote(str(extra["options"]), safe="")
        return url
    raise ValueError(f"connection {conn.conn_id!r}: conn_type {conn.conn_type!r} is not a supported state store "
                     "(use postgres or sqlite, or set extra.sqlalchemy_url)")


def admin_state_url(conn_id: str = STATE_CONN_ID) -> str:
    """The store's URL as tasks resolve it, for code outside tasks (CLI commands, the API server),
    where the connection is read from env, secrets backends or the metadata DB."""
    from ml_connector.airflow.hooks import read_connection
    from ml_connector.config import ConfigError

    conn = read_connection(conn_id)
    if conn is None:
        return default_state_url()
    try:
        return sqlalchemy_url(conn)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None


def state_store(conn_id: str = STATE_CONN_ID) -> StateStore:
    """The process-wide, migrated store for `conn_id` (SQLite in AIRFLOW_HOME if it does not exist)."""
    from airflow.sdk import BaseHook
    from airflow.sdk.exceptions import AirflowNotFoundException

    try:
        url = sqlalchemy_url(BaseHook.get_connection(conn_id))
    except AirflowNotFoundException:
        url = default_state_url()
    return store_for_url(url)


def store_for_url(url: str) -> StateStore:
    """One migrated store per URL per process (the webhook receiver resolves the URL its own way)."""
    with _LOCK:
        store = _STORES.get(url)
        if store is None:
            store = StateStore(url)
            store.migrate()
            _STORES[url] = store
        return store
