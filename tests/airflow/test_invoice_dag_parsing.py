"""The repo's DAG folder as Airflow parses it: no import errors, one thin file, every tenant's DAG, a
broken tenant isolated, and only the DAG being run built when a worker parses for one task."""

from __future__ import annotations

import ast
import logging
from pathlib import Path
from typing import Any

import pytest
from dag_support import DAG_ID, REPO, many_tenants_file

pytestmark = pytest.mark.usefixtures("airflow_db")  # DagBag looks DAGs up in the metadata DB
DAGS = REPO / "dags"
TASKS = {"extract", "process_batch.map_dimensions", "process_batch.reconcile_vendors",
         "process_batch.upsert_proposals", "process_batch.report_back", "finalize"}


def _dagbag(monkeypatch: pytest.MonkeyPatch, tenants: Path | None = None,
            parsing_dag_id: str | None = None) -> Any:
    from airflow.dag_processing.dagbag import DagBag

    if tenants is None:
        monkeypatch.delenv("ML_CONNECTOR_TENANTS", raising=False)  # the bundled demo tenants file
    else:
        monkeypatch.setenv("ML_CONNECTOR_TENANTS", str(tenants))
    if parsing_dag_id:  # what a worker sets before parsing the file to run one task of that DAG
        monkeypatch.setenv("_AIRFLOW_PARSING_CONTEXT_DAG_ID", parsing_dag_id)
    return DagBag(dag_folder=str(DAGS))


def test_the_dags_folder_imports_cleanly_with_the_demo_tenants_dag(monkeypatch: pytest.MonkeyPatch) -> None:
    bag = _dagbag(monkeypatch)
    assert bag.import_errors == {}
    assert sorted(bag.dag_ids) == [DAG_ID, "mlc_demo_master_data", "mlc_demo_vendors"]
    assert bag.get_dag("mlc_demo_vendors").task_ids == ["resolve_held", "basware_to_ifs", "ifs_to_basware"]
    dag = bag.get_dag(DAG_ID)
    assert set(dag.task_ids) == TASKS
    assert dag.get_task("finalize").trigger_rule == "all_done"  # records the run even when a batch failed
    assert dag.get_task("process_batch.upsert_proposals").on_failure_callback  # alerts per task
    assert "tenant:demo" in dag.tags
    assert dag.owner == "ml-connector"
    # The Docs panel is operator guidance: how to find and replay what did not arrive.
    assert "ml-connector quarantine list --tenant demo" in dag.doc_md and "window_start" in dag.doc_md


def test_dag_files_stay_thin() -> None:
    """Adding a tenant is a configuration change: the DAG file only hands its globals to the factory."""
    for path in DAGS.glob("*.py"):
        body = ast.parse(path.read_text()).body
        statements = [s for s in body if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))]
        assert len(statements) <= 2, f"{path.name} holds more than an import and register_tenant_dags()"


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def test_a_tenant_whose_dag_cannot_be_built_does_not_hide_the_others(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Valid configuration, but its schedule is no cron expression: its DAG fails to build.
    tenants = many_tenants_file(tmp_path / "tenants.yaml", ["alpha", "broken", "gamma"],
                                broken={"trigger": {"mode": "poll", "schedule": "every quarter hour"}})
    # On the factory's logger itself: Airflow's logging setup may stop records reaching the root.
    records, logger = _Records(), logging.getLogger("ml_connector.airflow.dag_factory")
    logger.addHandler(records)
    try:
        bag = _dagbag(monkeypatch, tenants)
    finally:
        logger.removeHandler(records)
    assert bag.import_errors == {}
    assert sorted(bag.dag_ids) == ["mlc_alpha_invoices", "mlc_alpha_master_data", "mlc_alpha_vendors",
                                   "mlc_gamma_invoices", "mlc_gamma_master_data", "mlc_gamma_vendors"]
    assert any("tenant broken could not be built" in m for m in records.messages), records.messages


def test_parsing_for_one_task_builds_only_that_dag(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tenants = many_tenants_file(tmp_path / "tenants.yaml", [f"t{n:03d}" for n in range(20)])
    assert len(_dagbag(monkeypatch, tenants).dag_ids) == 60  # invoices, master data and vendors per tenant
    bag = _dagbag(monkeypatch, tenants, parsing_dag_id="mlc_t007_invoices")
    assert bag.import_errors == {} and bag.dag_ids == ["mlc_t007_invoices"]
