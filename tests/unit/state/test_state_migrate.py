from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Callable

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

from ml_connector.state import SchemaNotReady, StateStore
from ml_connector.state.migrate import head_revision
from ml_connector.state.models import VERSION_TABLE, metadata

TENANT = "acme"

EXPECTED_TABLES = {
    "mlc_alembic_version", "mlc_ledger", "mlc_quarantine", "mlc_watermarks", "mlc_audit", "mlc_invoice_events",
    "mlc_webhook_inbox", "mlc_runs", "mlc_master_data_hashes", "mlc_vendor_versions", "mlc_reports",
    "mlc_token_cache",
}


def _tables(store: StateStore) -> set[str]:
    return set(inspect(store.engine).get_table_names())


def test_store_refuses_to_work_before_migrate_and_creates_nothing(make_store: Callable[[], StateStore]) -> None:
    store = make_store()
    with pytest.raises(SchemaNotReady, match="migrate"):
        store.get_invoice(TENANT, "1")
    with pytest.raises(SchemaNotReady):
        with store.transaction():
            pass
    assert _tables(store) == set()


def test_migrate_is_idempotent_and_keeps_to_its_own_prefixed_tables(
    make_store: Callable[[], StateStore],
) -> None:
    store = make_store()
    # Airflow's metadata may share the database: its version table must stay untouched.
    with store.engine.begin() as conn:
        conn.execute(text("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)"))
        conn.execute(text("INSERT INTO alembic_version VALUES ('airflow_head')"))
    assert store.migrate() == head_revision()
    assert store.migrate() == head_revision()
    assert store.schema_revision() == head_revision()
    assert _tables(store) == EXPECTED_TABLES | {"alembic_version"}
    with store.engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all() == ["airflow_head"]
        assert conn.execute(text(f"SELECT count(*) FROM {VERSION_TABLE}")).scalar() == 1
    # A second store on the migrated database works without migrating again.
    assert make_store().get_invoice(TENANT, "1") is None


def test_models_match_the_migrations(store: StateStore) -> None:
    with store.engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"version_table": VERSION_TABLE, "compare_type": True})
        diff = [d for d in compare_metadata(ctx, metadata) if "mlc_alembic_version" not in str(d)]
    assert diff == []


def test_concurrent_migrate_from_two_processes(db_url: str) -> None:
    # Both children import everything and say "ready"; then both are released at once.
    child = (
        "import sys\n"
        "from ml_connector.state import StateStore\n"
        "from ml_connector.state.migrate import head_revision\n"
        "store = StateStore(sys.argv[1]); head_revision()\n"
        "sys.stdout.write('ready\\n'); sys.stdout.flush(); sys.stdin.readline()\n"
        "sys.stdout.write(store.migrate())\n"
    )
    procs = [
        subprocess.Popen([sys.executable, "-c", child, db_url], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    for proc in procs:
        assert proc.stdout is not None and proc.stdout.readline() == "ready\n"
    for proc in procs:
        assert proc.stdin is not None
        proc.stdin.write("go\n")
        proc.stdin.flush()
    results = [p.communicate(timeout=60) for p in procs]
    for proc, (out, err) in zip(procs, results, strict=True):
        assert proc.returncode == 0, err[-2000:]
        assert out == head_revision()
    store = StateStore(db_url)
    try:
        assert store.schema_revision() == head_revision()
        assert EXPECTED_TABLES <= _tables(store)
    finally:
        store.dispose()


def test_concurrent_migrate_from_two_threads(make_store: Callable[[], StateStore]) -> None:
    stores = [make_store(), make_store()]
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def run(store: StateStore) -> None:
        barrier.wait()
        try:
            store.migrate()
        except BaseException as exc:  # collected for the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(s,)) for s in stores]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == []
    assert all(s.schema_revision() == head_revision() for s in stores)
