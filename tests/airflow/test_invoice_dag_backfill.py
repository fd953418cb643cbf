"""Backfill: `run_window()` for each kind of run, and a real `airflow backfill create` executed by a
scheduler (LocalExecutor, PostgreSQL metadata DB) with the execution API server beside it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest

# The type of `dag_run.run_type` in a task's context (the Task SDK's model of a DAG run).
from airflow.sdk.api.datamodels._generated import DagRunType
from dag_support import DAG_ID, INVOICES, TENANT, DagEnv, run_states, wait_for

from ml_connector.airflow.dags.common import run_window
from ml_connector.config import ConfigError

T0 = datetime(2026, 10, 30, 12, 0, tzinfo=UTC)
T1 = T0 + timedelta(minutes=15)


def _context(run_type: str, params: dict[str, Any] | None = None, start: datetime | None = T0,
             end: datetime | None = T1) -> dict[str, Any]:
    return {"params": params or {}, "dag_run": SimpleNamespace(run_type=DagRunType(run_type)), "run_id": "r",
            "data_interval_start": start, "data_interval_end": end}


def test_a_backfill_run_covers_its_data_interval() -> None:
    assert run_window(_context("backfill")) == (T0, T1)


@pytest.mark.parametrize("run_type", ["scheduled", "manual", "asset_triggered"])
def test_other_runs_read_from_the_watermark(run_type: str) -> None:
    assert run_window(_context(run_type)) is None


def test_window_params_win_over_the_data_interval() -> None:
    params = {"window_start": "2026-10-01T00:00:00Z", "window_end": "2026-10-02T00:00:00+00:00"}
    assert run_window(_context("backfill", params)) == (datetime(2026, 10, 1, tzinfo=UTC),
                                                         datetime(2026, 10, 2, tzinfo=UTC))
    with pytest.raises(ConfigError, match="must be after"):
        run_window(_context("manual", {"window_start": params["window_end"],
                                       "window_end": params["window_start"]}))


def test_a_backfill_run_without_an_interval_fails_instead_of_reading_everything() -> None:
    with pytest.raises(ConfigError, match="empty data interval"):
        run_window(_context("backfill", start=T0, end=T0))


def test_the_dag_schedule_gives_runs_a_data_interval(dag_env: DagEnv) -> None:
    from airflow.sdk import timezone
    from airflow.serialization.encoders import coerce_to_core_timetable

    # As the scheduler sees it: each run covers the 15 minutes before its tick, not a single instant.
    timetable = coerce_to_core_timetable(dag_env.dag(retries=0).timetable)
    interval = timetable.infer_manual_data_interval(run_after=timezone.coerce_datetime(T1))
    assert (interval.start, interval.end) == (T0, T1)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.slow
@pytest.mark.postgres
def test_airflow_backfill_create_re_reads_only_its_interval(dag_env: DagEnv,
                                                            pg_airflow_db: dict[str, str]) -> None:
    ds = dag_env.sandbox.dataset
    target = ds.invoice_id(INVOICES - 1)  # the newest seed document, lastUpdated T0 exactly
    assert ds.invoice_last_updated(INVOICES - 1) == T0
    # The watermark is past every seed document (processed by "earlier runs" as far as regular runs
    # know): only the backfill can read them again, and only the one inside its interval.
    watermark = T0 + timedelta(minutes=10)
    store = dag_env.store()
    try:
        store.advance_watermark(TENANT, "invoices", watermark, run_id="before-this-test")
    finally:
        store.dispose()

    port = _free_port()
    env = {**pg_airflow_db, "AIRFLOW__CORE__EXECUTOR": "LocalExecutor", "AIRFLOW__CORE__PARALLELISM": "4",
           "AIRFLOW__API_AUTH__JWT_SECRET": "mlc-test-jwt-secret-not-for-production",
           "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{port}/execution/",
           "AIRFLOW__SCHEDULER__SCHEDULER_HEARTBEAT_SEC": "1"}
    airflow = [sys.executable, "-m", "airflow"]
    metadata_url = pg_airflow_db["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]
    started = time.monotonic()
    for command in (["dags", "reserialize"], ["dags", "unpause", DAG_ID]):
        subprocess.run(airflow + command, env={**os.environ, **env}, check=True, capture_output=True,
                       timeout=120)
    api = dag_env.spawn(env=env, argv=[*airflow, "api-server", "--apps", "execution", "--workers", "1",
                                       "--host", "127.0.0.1", "--port", str(port)])
    wait_for(lambda: _listening(port) or api.proc.poll() is not None, 120, "the execution API server")
    scheduler = dag_env.spawn(env=env, argv=[*airflow, "scheduler"])
    try:
        subprocess.run([*airflow, "backfill", "create", "--dag-id", DAG_ID,
                        "--from-date", (T0 - timedelta(minutes=10)).isoformat(),
                        "--to-date", (T0 + timedelta(minutes=10)).isoformat()],
                       env={**os.environ, **env}, check=True, capture_output=True, timeout=120)
        wait_for(lambda: _backfill_done(metadata_url) or scheduler.proc.poll() is not None, 240,
                 "the backfill run to finish")
    finally:
        # Paused again for the other tests on this metadata DB; a failure here must not hide the test's.
        subprocess.run([*airflow, "dags", "pause", DAG_ID], env={**os.environ, **env}, check=False,
                       capture_output=True, timeout=120)
        scheduler.kill()
        api.kill()
    print(f"airflow backfill with a scheduler: {time.monotonic() - started:.1f} s")

    backfills = [r for r in run_states(metadata_url) if r[1] == "backfill"]
    assert [state for _, _, state in backfills] == ["success"], (backfills, scheduler.output()[-3000:])
    ifs = dag_env.sandbox.ifs
    assert [p[ifs.names.external_ref] for p in ifs.proposals()] == [target]
    assert dag_env.sandbox.basware.document_status(target) == "Transferred"
    assert {dag_env.sandbox.basware.document_status(ds.invoice_id(i)) for i in range(INVOICES - 1)} == {
        "WaitingForTransfer"}
    assert dag_env.watermark() == watermark  # never moved back to the backfill's window
    store = dag_env.store()
    try:
        record = store.get_run(TENANT, backfills[0][0])
    finally:
        store.dispose()
    assert record is not None and record.info["window"]["explicit"] is True
    assert record.info["window"]["since"].startswith("2026-10-30T12:00:00")


def _backfill_done(metadata_url: str) -> bool:
    runs = [r for r in run_states(metadata_url) if r[1] == "backfill"]
    return bool(runs) and all(state in ("success", "failed") for _, _, state in runs)


def _listening(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


