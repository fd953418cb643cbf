"""The demo tenant's master-data DAG in real Airflow (`dag.test()`) against the simulators, faults on."""

from __future__ import annotations

from typing import Any

import pytest
from dag_support import TENANT, DagEnv, asset_events

from ml_connector.state import StateStore

pytestmark = pytest.mark.usefixtures("airflow_db")


def _dag() -> Any:
    from ml_connector.airflow.dags.master_data import build_master_data_dag
    from ml_connector.config import load_config

    config = load_config()
    return build_master_data_dag(config.tenant(TENANT), config.region_map(), retries=0)


def _store(dag_env: DagEnv) -> StateStore:
    store = StateStore(dag_env.store_url)
    store.migrate()
    return store


def test_master_data_dag_sends_everything_once_then_only_the_delta(dag_env: DagEnv) -> None:
    from airflow.utils.state import DagRunState

    # Transient faults on the master-data POSTs: the client's retries carry the run through.
    rule = dag_env.fault(kind="status", system="basware", method="POST", path=r"^/v1/(accounts|costCenters)",
                         status=503, times=2)
    first = _dag().test()
    assert first.state == DagRunState.SUCCESS
    assert dag_env.fired(rule) == 2
    [event] = asset_events(f"mlc_{TENANT}_master_data", first.run_id)
    assert event["asset"] == f"mlc_{TENANT}_master_data_runs" and event["sent"] > 0 and event["failed"] == 0
    store = _store(dag_env)
    try:
        sent = store.master_data_sent_by(TENANT, first.run_id)
        assert set(sent) >= {"accounts", "costCenters", "ACC_LIST_1"}
        total = len(dag_env.sandbox.dataset.code_part_values)
        assert sum(sent.values()) <= total
        second = _dag().test()
        assert second.state == DagRunState.SUCCESS
        assert store.master_data_sent_by(TENANT, second.run_id) == {}, "nothing changed: nothing sent"
    finally:
        store.dispose()


def test_records_basware_refuses_fail_the_run_and_are_quarantined(dag_env: DagEnv) -> None:
    from airflow.utils.state import DagRunState

    dag_env.sandbox.basware.ctx.masterdata.known_companies.discard("CN40")
    run = _dag().test()
    assert run.state == DagRunState.FAILED, "the alert fires on refused records"
    store = _store(dag_env)
    try:
        refused = store.list_open(TENANT, "master_data")
        assert refused and all(e.record_id.split("/")[1].startswith("40_") for e in refused)
        assert all("CompanyCode" in (e.reason or "") for e in refused)
        dag_env.sandbox.basware.ctx.masterdata.known_companies.add("CN40")
        again = _dag().test()
        assert again.state == DagRunState.SUCCESS
        assert store.list_open(TENANT, "master_data") == []
        assert sum(store.master_data_sent_by(TENANT, again.run_id).values()) == len(refused)
    finally:
        store.dispose()
