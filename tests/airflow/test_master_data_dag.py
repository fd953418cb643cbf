"""The demo tenant's master-data DAG in real Airflow (`dag.test()`) against the simulators, faults on:
delta only over 50,000 values, deactivation, requestStatus errors surfacing later and sent again, the
gap report, and an invoice a gap blocked going through after the master-data run and a replay."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from dag_support import ALERT_CONN_ID, TENANT, DagEnv, asset_events, tenants_file

from ml_connector.state import StateStore

pytestmark = pytest.mark.usefixtures("airflow_db")
MASTER_DATA_PATHS = ("/v1/accounts", "/v1/costCenters", "/v1/lists/")
# The daily run: 50,000 values, spread over an account list, cost centers and a generic list.
MANY = {("20", "A"): 15_000, ("10", "B"): 20_000, ("10", "C"): 15_000}


def _dag() -> Any:
    from ml_connector.airflow.dags.master_data import build_master_data_dag
    from ml_connector.config import load_config

    config = load_config()
    return build_master_data_dag(config.tenant(TENANT), config.region_map(), retries=0)


def _store(dag_env: DagEnv) -> StateStore:
    store = StateStore(dag_env.store_url)
    store.migrate()
    return store


def _result(run: Any, task_id: str) -> dict[str, Any]:
    ti = next(t for t in run.get_task_instances() if t.task_id == task_id)
    return dict(ti.xcom_pull(task_ids=task_id))


def _posts(dag_env: DagEnv) -> list[dict[str, Any]]:
    """The master-data POSTs the Basware simulator received (its own request log)."""
    return [r for r in dag_env.sandbox.basware.request_log if r.get("method") == "POST"
            and str(r.get("path")).startswith(MASTER_DATA_PATHS)]


def _add_values(dag_env: DagEnv, company: str, letter: str, count: int) -> None:
    """Many IFS values straight into the simulator's store (through the API it would take minutes)."""
    ifs = dag_env.sandbox.ifs
    value = ifs.names.value_prop(letter)
    for n in range(count):
        ifs.db.insert(ifs.schema.code_values[letter], {
            "Company": company, value: f"M{letter}{n:06d}", "Description": f"Value {n}",
            "ValidFrom": date(2020, 1, 1), "ValidUntil": date(2099, 12, 31)}, "SEED", history=False)


def _allow_creation_in_ifs(dag_env: DagEnv, monkeypatch: pytest.MonkeyPatch) -> None:
    from ml_connector.config import load_config

    master = load_config().tenant(TENANT).master_data.model_dump(mode="json")
    path = tenants_file(dag_env.tmp / "tenants-create.yaml", alerts={"email": [], "webhook_conn_id": ALERT_CONN_ID},
                        master_data={**master, "create_missing_in_ifs": True})
    monkeypatch.setenv("ML_CONNECTOR_TENANTS", str(path))


@pytest.mark.slow
@pytest.mark.timeout(900)  # three runs over 50,000 values; minutes on a busy 2-core machine
def test_a_second_run_over_50000_values_sends_nothing(dag_env: DagEnv) -> None:
    from airflow.utils.state import DagRunState

    for (company, letter), count in MANY.items():
        _add_values(dag_env, company, letter, count)
    # Faults on: 503s on the POSTs and a 429 on the IFS reads; the clients' retries carry the run.
    posts_503 = dag_env.fault(kind="status", system="basware", method="POST",
                              path=r"^/v1/(accounts|costCenters|lists)", status=503, times=3)
    reads_429 = dag_env.fault(kind="status", system="ifs", method="GET", path=r"CodeBArray", status=429,
                              retry_after=0, times=1)
    first = _dag().test()
    assert first.state == DagRunState.SUCCESS
    assert (dag_env.fired(posts_503), dag_env.fired(reads_429)) == (3, 1)
    [event] = asset_events(f"mlc_{TENANT}_master_data", first.run_id)
    assert event["asset"] == f"mlc_{TENANT}_master_data_runs" and event["sent"] > 0 and event["failed"] == 0
    pushed = _result(first, "push")
    values = pushed["counts"]["values"]
    assert values >= sum(MANY.values())
    assert pushed["counts"]["sent"] == values and pushed["counts"]["failed"] == 0
    store = _store(dag_env)
    try:
        assert sum(store.master_data_sent_by(TENANT, first.run_id).values()) == values
    finally:
        store.dispose()
    assert dag_env.sandbox.basware.masterdata("CostCenter", "10_MB019999") is not None
    assert dag_env.sandbox.basware.masterdata("ACC_LIST_1", "10_MC014999") is not None
    assert dag_env.sandbox.basware.masterdata("Account", "20_MA014999") is not None
    posts = len(_posts(dag_env))
    assert posts >= values // 500, "at most 500 records a call"

    # The daily run: only what IFS modified since the watermark is read, and nothing is sent.
    second = _dag().test()
    assert second.state == DagRunState.SUCCESS
    daily = _result(second, "push")
    assert daily["reads"]["full"] == 0 and daily["counts"]["sent"] == 0
    assert daily["counts"]["values"] < values
    assert len(_posts(dag_env)) == posts, "the second run posted nothing to Basware"

    # Every value read again: the content hashes alone keep all 50,000 from being sent.
    third = _dag().test(run_conf={"full_read": True})
    assert third.state == DagRunState.SUCCESS
    full = _result(third, "push")["counts"]
    assert (full["sent"], full["unchanged"]) == (0, values)
    assert len(_posts(dag_env)) == posts, "the full run posted nothing either"


def test_a_value_closed_in_ifs_is_deactivated_in_basware_and_never_deleted(dag_env: DagEnv) -> None:
    from airflow.utils.state import DagRunState

    assert _dag().test().state == DagRunState.SUCCESS
    ifs = dag_env.sandbox.ifs
    closed = next(v for v in dag_env.sandbox.dataset.code_part_values if v.company == "10" and v.code_part == "B")
    etype = ifs.schema.code_values["B"]
    row = ifs.db.store(etype.entity_set).get(("10", closed.code))
    assert row is not None
    ifs.db.update(etype, row, {"ValidUntil": datetime.now(UTC).date() - timedelta(days=1)}, "IFSUSER")
    before = len(_posts(dag_env))

    run = _dag().test()
    assert run.state == DagRunState.SUCCESS
    pushed = _result(run, "push")
    assert pushed["counts"]["sent"] == pushed["counts"]["deactivated"] == 1
    assert pushed["deactivated"] == [f"costCenters/10_{closed.code}"]
    assert len(_posts(dag_env)) == before + 1
    record = dag_env.sandbox.basware.masterdata("CostCenter", f"10_{closed.code}")
    assert record is not None and record["companies"] == [{"companyCode": "US10", "active": False}]
    assert not [r for r in dag_env.sandbox.basware.request_log if r.get("method") == "DELETE"]


def test_errors_basware_reports_later_fail_the_run_are_quarantined_and_sent_again(dag_env: DagEnv) -> None:
    from airflow.utils.state import DagRunState

    # Basware answers the POSTs at once and says only later, in requestStatus, what it refused.
    dag_env.sandbox.basware.settings.async_error_delay = 1.5
    dag_env.sandbox.basware.ctx.masterdata.known_companies.discard("CN40")
    run = _dag().test()
    assert run.state == DagRunState.FAILED, "the alert fires on refused records"
    assert dag_env.receiver.alerts, "the failure alert reached the tenant's webhook"
    polls = [r for r in dag_env.sandbox.basware.request_log if str(r.get("path")).startswith("/v1/requestStatus/")]
    assert len(polls) > len({r["path"] for r in polls}), "InProgress first: polled again until final"
    store = _store(dag_env)
    try:
        refused = store.list_open(TENANT, "master_data")
        assert refused and all(e.record_id.split("/")[1].startswith("40_") for e in refused)
        assert all("CompanyCode" in (e.reason or "") for e in refused)
        sent_first = sum(store.master_data_sent_by(TENANT, run.run_id).values())

        dag_env.sandbox.basware.ctx.masterdata.known_companies.add("CN40")  # fixed in Basware
        again = _dag().test()
        assert again.state == DagRunState.SUCCESS
        assert store.list_open(TENANT, "master_data") == []
        assert sum(store.master_data_sent_by(TENANT, again.run_id).values()) == len(refused)
        assert sent_first > 0, "the other companies' records went through at the first run"
    finally:
        store.dispose()


def test_gaps_are_reported_with_the_invoices_they_block(dag_env: DagEnv) -> None:
    from airflow.utils.state import DagRunState

    blocked = dag_env.sandbox.basware.add_documents(2, "unknown_cost_center")
    run = _dag().test()
    assert run.state == DagRunState.SUCCESS
    gaps = _result(run, "gaps")
    assert gaps["created_in_ifs"] == [], "the demo tenant does not allow creating codes in IFS"
    unknown = [g for g in gaps["gaps"] if g["code"] == "CC-DOES-NOT-EXIST"]
    assert unknown and {i for g in unknown for i in g["invoices"]} == set(blocked)
    assert all(g["reason"].startswith("does not exist") and g["source"] == "costCenterCode" for g in unknown)

    done = subprocess.run([sys.executable, "-m", "ml_connector.cli", "gaps", "--tenant", TENANT, "--json"],
                          capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stdout + done.stderr
    listed = json.dumps(json.loads(done.stdout))
    assert "CC-DOES-NOT-EXIST" in listed and all(i in listed for i in blocked)


def test_an_invoice_blocked_by_a_gap_goes_through_after_the_master_data_run_and_a_replay(
        dag_env: DagEnv, monkeypatch: pytest.MonkeyPatch) -> None:
    from airflow.utils.state import DagRunState

    [invoice] = dag_env.sandbox.basware.add_documents(1, "unknown_cost_center")
    assert dag_env.run().state == DagRunState.SUCCESS  # the invoice DAG
    assert dag_env.sandbox.basware.document_status(invoice) == "TransferFailed"
    store = _store(dag_env)
    try:
        [entry] = [e for e in store.list_open(TENANT, "invoice") if e.record_id == invoice]
        assert entry.reason_code == "invalid_dimension"

        # The AP team sends it again; the master-data run creates the code in IFS and sends it to Basware.
        dag_env.sandbox.basware.set_document_status(invoice, "WaitingForTransfer")
        _allow_creation_in_ifs(dag_env, monkeypatch)
        run = _dag().test()
        assert run.state == DagRunState.SUCCESS
        created = _result(run, "gaps")["created_in_ifs"]
        assert [(g["code"], g["invoices"]) for g in created] == [("CC-DOES-NOT-EXIST", [invoice])]
        company = created[0]["company"]
        assert dag_env.sandbox.basware.masterdata("CostCenter", f"{company}_CC-DOES-NOT-EXIST") is not None

        done = subprocess.run([sys.executable, "-m", "ml_connector.cli", "replay", "--tenant", TENANT,
                               "--invoice", invoice], capture_output=True, text=True, timeout=120,
                              stdin=subprocess.DEVNULL)
        assert done.returncode == 0, done.stdout + done.stderr
        assert f"{invoice}  transferred" in done.stdout
        assert [e for e in store.list_open(TENANT, "invoice") if e.record_id == invoice] == []
    finally:
        store.dispose()
    ref = dag_env.sandbox.ifs.names.external_ref
    assert [p for p in dag_env.sandbox.ifs.proposals() if p[ref] == invoice]
    assert dag_env.sandbox.basware.document_status(invoice) == "Transferred"
    assert dag_env.sandbox.ifs.duplicate_proposals() == {}
