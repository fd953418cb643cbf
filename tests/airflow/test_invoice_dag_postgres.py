"""The main path with PostgreSQL behind both Airflow's metadata DB and the state store, run by the
`airflow dags test` CLI on the repo's DAG file (the factory's own retries, nothing rebuilt by hand)."""

from __future__ import annotations

import sys

import pytest
from dag_support import DAG_ID, TENANT, DagEnv, run_states

from ml_connector.sync.invoices import list_quarantine

pytestmark = pytest.mark.postgres


def test_two_cli_runs_on_postgres_move_everything_once_then_find_nothing_new(
        pg_dag_env: DagEnv, pg_airflow_db: dict[str, str]) -> None:
    metadata_url = pg_airflow_db["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]
    before = len(run_states(metadata_url))
    cli = [sys.executable, "-m", "airflow", "dags", "test", DAG_ID]

    first = pg_dag_env.spawn(env=pg_airflow_db, argv=cli)
    first.wait()
    pg_dag_env.assert_exactly_once()
    assert [q["reason_code"] for q in _quarantine(pg_dag_env)] == ["unknown_company"]
    watermark = pg_dag_env.watermark()
    assert watermark is not None

    pg_dag_env.sandbox.ifs.log.clear()
    proposals = pg_dag_env.sandbox.ifs.proposals()
    second = pg_dag_env.spawn(env=pg_airflow_db, argv=cli)
    second.wait()
    runs = run_states(metadata_url)[before:]
    assert [state for _, _, state in runs] == ["success", "success"], runs
    # The second run found nothing new: no write reached IFS, the watermark stayed, the counts say so.
    # ($batch POSTs carry reads too, e.g. the catalog's values: IFS's own proposals show nothing was written.)
    writes = [e for e in pg_dag_env.sandbox.ifs.requests()
              if e["method"] != "GET" and "/auth/" not in e["path"] and not e["path"].endswith("/$batch")]
    assert writes == []
    assert pg_dag_env.sandbox.ifs.proposals() == proposals
    assert pg_dag_env.watermark() == watermark
    store = pg_dag_env.store()
    try:
        record = store.get_run(TENANT, runs[-1][0])
    finally:
        store.dispose()
    assert record is not None and record.state == "success"
    assert (record.counts["documents"], record.counts["created"], record.counts["reported"]) == (0, 0, 0)
    pg_dag_env.assert_exactly_once()


def _quarantine(env: DagEnv) -> list[dict[str, object]]:
    store = env.store()
    try:
        return list_quarantine(store, TENANT)
    finally:
        store.dispose()
