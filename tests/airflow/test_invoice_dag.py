"""The demo tenant's invoice DAG run in real Airflow (`dag.test()`) against the sandbox."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from dag_support import connect

from ml_connector.config import load_config
from mlc_sandbox.runner import Sandbox, SandboxOptions

pytestmark = pytest.mark.usefixtures("airflow_db")
# More than one staged batch (200 each), so the mapped task group really fans out.
INVOICES = 450


@pytest.fixture()
def wired(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Sandbox]:
    """A sandbox with invalid documents mixed in, and the demo tenant's connections pointing at it."""
    with Sandbox(SandboxOptions(invoices=INVOICES, suppliers=60, faults="invalid-data")) as sandbox:
        connect(monkeypatch, sandbox, {"conn_type": "sqlite", "host": str(tmp_path / "state.db")})
        monkeypatch.setenv("ML_CONNECTOR_STAGING", str(tmp_path / "staging"))
        yield sandbox


def _invoice_dag():  # type: ignore[no-untyped-def]
    from ml_connector.airflow.dags.invoices import build_invoice_dag

    config = load_config()
    return build_invoice_dag(config.tenant("demo"), config.region_map(), retries=0)


def test_dag_moves_every_invoice_once_and_a_second_run_creates_nothing(wired: Sandbox) -> None:
    from airflow.utils.state import DagRunState

    from ml_connector.airflow.state import state_store

    store = state_store()
    first_id = wired.dataset.invoice_id(0)
    assert store.record_delivery("demo", "task-1", first_id, {"taskId": "task-1", "documentId": first_id})

    dag = _invoice_dag()
    run = dag.test()
    assert store.pending_deliveries("demo") == [], "a webhook delivery whose invoice is final is settled"
    assert run.state == DagRunState.SUCCESS
    proposals = wired.ifs.proposals()
    assert wired.ifs.duplicate_proposals() == {}
    invalid = [i for i in range(INVOICES) if wired.dataset.invalid_kind(i)]
    assert invalid, "the seed must mix in invalid documents for this test to mean something"
    assert len(proposals) == INVOICES - len(invalid)
    for index in invalid:
        state = wired.basware.document_state(wired.dataset.invoice_id(index))
        assert state["processingStatus"] == "TransferFailed"

    ti_ids = {ti.task_id for ti in run.get_task_instances()}
    assert {"extract", "finalize", "process_batch.map_dimensions", "process_batch.reconcile_vendors",
            "process_batch.upsert_proposals", "process_batch.report_back"} <= ti_ids

    second = _invoice_dag().test()
    assert second.state == DagRunState.SUCCESS
    assert len(wired.ifs.proposals()) == INVOICES - len(invalid)
    assert wired.ifs.duplicate_proposals() == {}
