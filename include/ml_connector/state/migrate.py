"""Schema migrations, run from code: no alembic.ini to find, and safe when two processes race.

To write a new revision against a scratch database::

    with make_engine(url).begin() as conn:
        alembic.command.revision(alembic_config(conn), message="...", autogenerate=True)
"""

from __future__ import annotations

import logging
import threading
from functools import cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, inspect, text

from ml_connector.state.engine import mask_url
from ml_connector.state.models import VERSION_TABLE

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
_ADVISORY_CLASS = 0x6D6C63  # "mlc"; the second key is the schema, so schemas migrate independently
# alembic's `context` and `op` are module-level proxies: one migration per process at a time.
_PROCESS_LOCK = threading.Lock()


def alembic_config(connection: Connection | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["connection"] = connection
    return cfg


@cache
def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:
        raise RuntimeError(f"no migrations found in {MIGRATIONS_DIR}")
    return head


def current_revision(conn: Connection) -> str | None:
    # Read directly: alembic's MigrationContext would log two INFO lines on every store start.
    if not inspect(conn).has_table(VERSION_TABLE):
        return None
    return conn.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalar()


def upgrade(engine: Engine) -> str:
    """Upgrade to head; a no-op at head. Returns the revision now in the database."""
    head = head_revision()
    # On SQLite engine.begin() is BEGIN IMMEDIATE: the database's single writer lock serialises us.
    with _PROCESS_LOCK, engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(
                text("SELECT pg_advisory_xact_lock(:cls, hashtext(current_schema()))"),
                {"cls": _ADVISORY_CLASS},
            )
        before = current_revision(conn)  # read under the lock: the other migrator has committed
        if before == head:
            log.debug("state store %s already at %s", mask_url(engine.url), head)
            return head
        log.info("migrating state store %s from %s to %s", mask_url(engine.url), before, head)
        command.upgrade(alembic_config(conn), "head")
    return head
