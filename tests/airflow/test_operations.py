"""`ml-connector quarantine list` and `replay` as a user runs them, after a real DAG run (`dag.test()`).

The tenant's API connections are in Airflow's metadata DB (as `ml-connector connect` stores them),
the state store's is an AIRFLOW_CONN_* variable: the commands must find both.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml

from ml_connector.config import load_config
from mlc_sandbox.runner import Sandbox, SandboxOptions

pytestmark = pytest.mark.usefixtures("airflow_db")
TENANT = "ops"
CONN_IDS = (f"mlc_{TENANT}_basware", f"mlc_{TENANT}_ifs")


@dataclass
class Wired:
    sandbox: Sandbox
    config: Path
    env: dict[str, str]
    bad_cost_center: str
    unknown_company: str

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "ml_connector.cli", *args, "--tenant", TENANT,
                               "--config", str(self.config)], capture_output=True, text=True,
                              env={**os.environ, **self.env}, timeout=120, stdin=subprocess.DEVNULL)

    def quarantined(self) -> dict[str, dict[str, Any]]:
        done = self.cli("quarantine", "list", "--json")
        assert done.returncode == 0, done.stderr
        return {e["invoice_id"]: e for e in json.loads(done.stdout)}

    def proposal_refs(self) -> list[str]:
        assert self.sandbox.ifs.duplicate_proposals() == {}
        return [p[self.sandbox.ifs.names.external_ref] for p in self.sandbox.ifs.proposals()]


def _tenants_file(path: Path) -> Path:
    """The demo tenant's mapping (it matches the sandbox) under its own name and connection ids, next
    to the demo tenant (the DAG file builds every tenant of the file, and dag.test() syncs them all)."""
    demo = load_config().tenant("demo").model_dump(mode="json")
    ops = {**demo, "tenant_id": TENANT, "basware_conn_id": CONN_IDS[0], "ifs_conn_id": CONN_IDS[1]}
    path.write_text(yaml.safe_dump({"tenants": [demo, ops]}), encoding="utf-8")
    return path


def _store_connections(sandbox: Sandbox) -> None:
    from ml_connector.airflow.connect import upsert_connection

    creds = sandbox.credentials()
    bw, ifs = creds["basware"], creds["ifs"]
    upsert_connection(CONN_IDS[0], "basware", bw["base_url"], bw["client_id"], bw["client_secret"],
                      {"region": "sandbox"}, "test")
    upsert_connection(CONN_IDS[1], "ifscloud", ifs["base_url"], ifs["client_id"], ifs["client_secret"],
                      {"realm": ifs["realm"]}, "test")


def _drop_connections() -> None:
    from airflow.models import Connection
    from airflow.utils.session import create_session

    with create_session() as session:
        session.query(Connection).filter(Connection.conn_id.in_(CONN_IDS)).delete(synchronize_session=False)


@pytest.fixture()
def wired(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Wired]:
    with Sandbox(SandboxOptions(invoices=20, suppliers=60)) as sandbox:
        bad_cc = sandbox.basware.add_documents(1, "unknown_cost_center")[0]
        unknown_company = sandbox.basware.add_documents(1, "unknown_company")[0]
        config = _tenants_file(tmp_path / "tenants.yaml")
        env = {"AIRFLOW_CONN_ML_CONNECTOR_STATE": json.dumps({"conn_type": "sqlite",
                                                               "host": str(tmp_path / "state.db")}),
               "ML_CONNECTOR_STAGING": str(tmp_path / "staging"),
               "ML_CONNECTOR_TENANTS": str(config)}  # dag.test() needs the DAG file to build this tenant
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        _store_connections(sandbox)
        try:
            yield Wired(sandbox, config, env, bad_cc, unknown_company)
        finally:
            _drop_connections()


def _run_dag(config: Path) -> None:
    from airflow.utils.state import DagRunState

    from ml_connector.airflow.dags.invoices import build_invoice_dag

    loaded = load_config(config)
    run = build_invoice_dag(loaded.tenant(TENANT), loaded.region_map(), retries=0).test()
    assert run.state == DagRunState.SUCCESS


def _fix_cost_center(w: Wired) -> None:
    """The fix: the cost center is created in IFS, and the AP team re-sends the invoice in Basware."""
    from ml_connector.ifs.client import IfsClient

    doc = w.sandbox.basware.document_state(w.bad_cost_center)["document"]
    tenant = load_config(w.config).tenant(TENANT)
    company = tenant.companies[doc["companyCode"]]
    letter = tenant.dimensions[company]["costCenterCode"]
    value = doc["codingRows"][0]["costCenterCode"]
    ifs = w.sandbox.credentials()["ifs"]
    with IfsClient(ifs["base_url"], ifs["realm"], ifs["client_id"], ifs["client_secret"],
                   fields=tenant.ifs.fields) as client:
        cv = client.fields.code_part_values
        client.writes.create(cv.projection, cv.entity_set, {cv.values[letter]: value, "Description": "New"},
                             keys={cv.company: company}, navigation=cv.navigations[letter])
    put = requests.put(f"{w.sandbox.basware_url}/_sandbox/basware/documents/{w.bad_cost_center}/status",
                       json={"processingStatus": "WaitingForTransfer"}, timeout=10)
    put.raise_for_status()


def test_quarantine_list_and_replay_after_the_fix(wired: Wired) -> None:
    _run_dag(wired.config)
    created = wired.proposal_refs()
    assert len(created) == 20

    listed = wired.quarantined()
    assert set(listed) == {wired.bad_cost_center, wired.unknown_company}
    entry = listed[wired.bad_cost_center]
    assert entry["reason_code"] == "invalid_dimension" and "CC-DOES-NOT-EXIST" in entry["reason"]
    assert entry["ledger_status"] == "transfer_failed_reported"
    assert (entry["occurrences"], entry["replay_count"]) == (1, 0)
    assert entry["first_seen"] and entry["last_seen"]
    table = wired.cli("quarantine", "list")
    assert table.returncode == 0, table.stderr
    assert f"Tenant {TENANT}: 2 invoice(s) in quarantine" in table.stdout
    assert "REASON CODE" in table.stdout and "unknown_company" in table.stdout

    # Not fixed yet and still TransferFailed in Basware: replay changes nothing and says why.
    early = wired.cli("replay", "--invoice", wired.bad_cost_center)
    assert early.returncode == 1
    assert "awaiting_basware" in early.stdout

    _fix_cost_center(wired)
    replayed = wired.cli("replay", "--invoice", wired.bad_cost_center)
    assert replayed.returncode == 0, replayed.stdout + replayed.stderr
    assert f"{wired.bad_cost_center}  transferred" in replayed.stdout
    refs = wired.proposal_refs()
    assert sorted(refs) == sorted([*created, wired.bad_cost_center])  # exactly one new proposal
    assert wired.sandbox.basware.document_state(wired.bad_cost_center)["processingStatus"] == "Transferred"
    assert set(wired.quarantined()) == {wired.unknown_company}

    # --all: the unknown company is not fixed; its replay reports why and the exit code says so.
    rest = wired.cli("replay", "--all", "--json")
    assert rest.returncode == 1
    outcome = json.loads(rest.stdout)["results"]
    assert list(outcome) == [wired.unknown_company]
    assert outcome[wired.unknown_company]["outcome"] == "awaiting_basware"
    assert wired.proposal_refs() == refs

    traced = wired.cli("trace", "--invoice", wired.bad_cost_center)
    assert traced.returncode == 0, traced.stderr
    assert "invalid_dimension" in traced.stdout and "replayed" in traced.stdout and "Next: done" in traced.stdout
    [story] = json.loads(wired.cli("trace", "--invoice", wired.unknown_company, "--json").stdout)
    assert story["status"] == "transfer_failed_reported" and story["quarantine"]["reason_code"] == "unknown_company"
    sent = {e["client_request_id"] for e in wired.sandbox.basware.request_log}
    calls = story["basware_requests"]
    assert [c["state"] for c in calls] == ["acknowledged", "TransferFailed"]
    assert all(c["client_request_id"] in sent and c["basware_request_id"] for c in calls)
    unknown = wired.cli("trace", "--invoice", "no-such-invoice")
    assert unknown.returncode == 1 and "no invoice with Basware id or invoice number" in unknown.stdout

    creds = wired.sandbox.credentials()
    for output in (table, early, replayed, rest, traced, unknown):
        for secret in (creds["basware"]["client_secret"], creds["ifs"]["client_secret"]):
            assert secret not in output.stdout + output.stderr


def test_commands_name_a_missing_connection(wired: Wired, tmp_path: Path) -> None:
    _drop_connections()
    done = wired.cli("replay", "--all")
    assert done.returncode == 2
    assert f"Airflow connection '{CONN_IDS[0]}' does not exist" in done.stderr
    listed = wired.cli("quarantine", "list")  # needs only the state store
    assert listed.returncode == 0 and "no invoices in quarantine" in listed.stdout
