"""The demo tenant's vendor DAG run in real Airflow (`dag.test()`) against the sandbox, faults on."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from dag_support import asset_events, connect

from ml_connector.config import load_config
from mlc_sandbox.faults import FaultRule
from mlc_sandbox.runner import Sandbox, SandboxOptions

pytestmark = pytest.mark.usefixtures("airflow_db")


@pytest.fixture()
def wired(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Sandbox]:
    with Sandbox(SandboxOptions(invoices=5, suppliers=40)) as sandbox:
        connect(monkeypatch, sandbox, {"conn_type": "sqlite", "host": str(tmp_path / "state.db")})
        yield sandbox


def _vendor_dag():  # type: ignore[no-untyped-def]
    from ml_connector.airflow.dags.vendors import build_vendor_dag

    config = load_config()
    return build_vendor_dag(config.tenant("demo"), config.region_map(), retries=1)


def _counts(run, task_id: str = "basware_to_ifs") -> dict[str, int]:  # type: ignore[no-untyped-def]
    ti = next(t for t in run.get_task_instances() if t.task_id == task_id)
    return dict(ti.xcom_pull(task_ids=task_id)["counts"])


def test_vendor_dag_creates_missing_suppliers_updates_changed_fields_and_audits_each(
        wired: Sandbox, capsys: pytest.CaptureFixture[str]) -> None:
    from airflow.utils.state import DagRunState

    from ml_connector.airflow.state import state_store

    names = load_config().tenant("demo").ifs.fields.suppliers
    missing = [s.supplier_id for s in wired.dataset.basware_vendors if not s.in_ifs]
    assert missing, "the seed must have Basware vendors IFS does not know"
    # Faults on: a 503 on the vendor list and a concurrent IFS writer (the ETag path re-reads).
    wired.injector.add(FaultRule(kind="status", status=503, system="basware", path="/v1/vendors", times=1))
    wired.injector.add(FaultRule(kind="status", status=503, system="ifs", method="POST", path="Supplier",
                                 times=1))

    first = _vendor_dag().test()
    assert first.state == DagRunState.SUCCESS
    assert _counts(first)["created"] == len(missing)
    [event] = asset_events("mlc_demo_vendors", first.run_id)
    assert event["asset"] == "mlc_demo_vendor_runs" and event["created"] == len(missing)
    store = state_store()
    for code in missing:
        assert wired.ifs.entity(names.entity_set, **{names.supplier_id: code}) is not None
        history = store.audit_history("demo", "vendor", code)
        assert [(e.action, e.source_system) for e in history] == [("created", "basware")]

    second = _vendor_dag().test()
    # The watermark moved: only the vendors the first run's IFS -> Basware task posted are read again,
    # and they are what we wrote (no echo).
    echo = _counts(first, "ifs_to_basware")["created"]
    assert _counts(second)["read"] == echo and _counts(second)["unchanged"] == echo

    edited = wired.dataset.basware_vendors[0].supplier_id
    wired.basware.ctx.vendors.manual_edit(edited, {"name": "Renamed In Basware Ltd"})
    third = _vendor_dag().test()
    counts = _counts(third)
    assert (counts["read"], counts["updated"]) == (1, 1)
    supplier = wired.ifs.entity(names.entity_set, **{names.supplier_id: edited})
    assert supplier is not None and supplier[names.name] == "Renamed In Basware Ltd"
    last = store.audit_history("demo", "vendor", edited)[-1]
    assert last.source_system == "basware" and last.run_id == third.run_id
    assert last.changes is not None and last.changes[names.name]["after"] == "Renamed In Basware Ltd"
    assert last.changes[names.name]["before"] != "Renamed In Basware Ltd"

    from ml_connector.cli import main

    capsys.readouterr()
    assert main(["audit", "--tenant", "demo", "--vendor", edited]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"vendor {edited}: last change by basware")
    assert "'Renamed In Basware Ltd'" in out and third.run_id in out
