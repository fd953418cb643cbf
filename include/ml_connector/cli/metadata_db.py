"""Airflow's metadata DB missing or not migrated, as one line naming the cause and the fix (instead of
SQLAlchemy's traceback), for the commands that read or write connections there."""

from __future__ import annotations

import re

# SQLite: "no such table: connection"; PostgreSQL: relation "connection" does not exist.
_MISSING_TABLE = re.compile(r'no such table: (\w+)|relation "(\w+)" does not exist')


def metadata_db_problem(exc: BaseException) -> str | None:
    """The message for `exc` when it says Airflow's metadata DB lacks its tables; None for anything else."""
    from sqlalchemy.exc import DBAPIError

    if not isinstance(exc, DBAPIError):
        return None
    found = _MISSING_TABLE.search(str(exc.orig))
    if found is None:
        return None
    table = found.group(1) or found.group(2)
    from airflow.models.base import Base

    if table not in Base.metadata.tables:  # e.g. a table of our own state store: not this problem
        return None
    return (f"Airflow's metadata DB ({_database()}) has no table {table!r}: it was never set up for this "
            "AIRFLOW_HOME. Run `airflow db migrate` (same environment), then this command again.")


def _database() -> str:
    from airflow.configuration import conf
    from sqlalchemy import make_url

    url = conf.get("database", "sql_alchemy_conn")
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # an unparsable setting: name the setting, not a fragment of it
        return "[database] sql_alchemy_conn"
