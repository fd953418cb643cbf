"""Helpers for running the tenant invoice DAG in real Airflow against the sandbox (see conftest.py).

`dag_env` wires one test: a fresh sandbox (in this process, so the test can script faults and
inspect both simulators), a tenants file, the tenant's connections as AIRFLOW_CONN_* JSON, a state
store and staging in tmp_path. A DAG run happens either here (`run`, `dag.test()`) or in a child
process (`spawn`) that the test can SIGKILL at a step boundary like a lost worker.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import create_engine, text

from ml_connector.config import DEFAULT_CONFIG
from ml_connector.state import StateStore, Status
from mlc_sandbox.faults import FaultRule
from mlc_sandbox.runner import Sandbox, SandboxOptions

TENANT = "demo"
DAG_ID = "mlc_demo_invoices"
# 20 seed documents with invalid_share 0.1: exactly one (index 18, unknown company) is quarantined.
INVOICES = 20
PG_ADMIN_URL = os.environ.get("MLC_TEST_POSTGRES_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/test")
REPO = Path(__file__).resolve().parents[2]
ALERT_CONN_ID = "mlc_test_alerts"

# The child process: the tenant's DAG built by the factory with retries off (a failed task fails the
# run now instead of waiting out a retry delay), run once by dag.test() as a new manual DAG run.
RUNNER = """
import json, sys
from ml_connector.airflow.dags.invoices import build_invoice_dag
from ml_connector.config import load_config
config = load_config()
dag = build_invoice_dag(config.tenant(sys.argv[1]), config.region_map(), retries=0)
run = dag.test(run_conf=json.loads(sys.argv[2]) or None)
print("MLC_RUN_STATE=" + str(run.state), flush=True)
"""


def asset_events(dag_id: str, run_id: str) -> list[dict[str, Any]]:
    """The asset events a DAG run emitted, from Airflow's metadata DB: the asset's name and the extra."""
    from airflow.models.asset import AssetEvent, AssetModel
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        rows = session.execute(
            select(AssetModel.name, AssetEvent.extra).join(AssetModel, AssetEvent.asset_id == AssetModel.id)
            .where(AssetEvent.source_run_id == run_id, AssetEvent.source_dag_id == dag_id))
        return [{"asset": name, **(extra or {})} for name, extra in rows]


def wait_for(condition: Callable[[], Any], timeout: float = 60.0, what: str = "condition") -> Any:
    """Poll until `condition()` is truthy; a test's synchronisation point, never a timing assertion."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.05)


@dataclass
class Child:
    """A DAG run in its own process group, so a SIGKILL takes every process it started with it."""

    proc: subprocess.Popen[bytes]
    log: Path

    def kill(self) -> None:
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=30)

    def wait(self, timeout: float = 120.0) -> str:
        """The run's final state as the runner printed it ('' if none); the output stays in `log`."""
        self.proc.wait(timeout=timeout)
        out = self.log.read_text(errors="replace")
        states = [line.split("=", 1)[1] for line in out.splitlines() if line.startswith("MLC_RUN_STATE=")]
        return states[-1] if states else ""

    def output(self) -> str:
        return self.log.read_text(errors="replace")


class AlertReceiver:
    """A tiny HTTP endpoint standing in for the tenant's alert webhook (Teams, Slack...): keeps every
    JSON body POSTed to it."""

    def __init__(self) -> None:
        self.alerts: list[dict[str, Any]] = []
        self.raw: list[str] = []
        received, raw = self.alerts, self.raw

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
                raw.append(body)
                received.append(json.loads(body))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def connection(self) -> str:
        return json.dumps({"conn_type": "http", "host": "127.0.0.1", "port": self.port, "schema": "http",
                           "extra": {"endpoint": "/alerts"}})

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@dataclass
class DagEnv:
    sandbox: Sandbox
    tmp: Path
    store_url: str
    receiver: AlertReceiver
    children: list[Child] = field(default_factory=list)

    # -- running the DAG ---------------------------------------------------------------------------
    def dag(self, retries: int = 0) -> Any:
        from ml_connector.airflow.dags.invoices import build_invoice_dag
        from ml_connector.config import load_config

        config = load_config()
        return build_invoice_dag(config.tenant(TENANT), config.region_map(), retries=retries)

    def run(self, run_conf: dict[str, Any] | None = None) -> Any:
        """One new DAG run in this process (dag.test()); returns the DagRun."""
        return self.dag().test(run_conf=run_conf)

    def spawn(self, run_conf: dict[str, Any] | None = None, env: dict[str, str] | None = None,
              argv: list[str] | None = None) -> Child:
        """One new DAG run in a child process with this test's environment (connections, tenants file,
        staging, Airflow home); `argv` replaces the runner (e.g. the `airflow dags test` CLI)."""
        log = self.tmp / f"child-{len(self.children) + 1}.log"
        command = argv or [sys.executable, "-c", RUNNER, TENANT, json.dumps(run_conf or {})]
        with log.open("wb") as out:
            proc = subprocess.Popen(command, env={**os.environ, **(env or {})}, stdout=out,
                                    stderr=subprocess.STDOUT, start_new_session=True, cwd=self.tmp)
        child = Child(proc, log)
        self.children.append(child)
        return child

    # -- faults and what the systems hold ----------------------------------------------------------
    def fault(self, **rule: Any) -> FaultRule:
        return self.sandbox.injector.add(FaultRule(**rule))

    def fired(self, rule: FaultRule) -> int:
        return next((r.fired for r in self.sandbox.injector.rules() if r.id == rule.id), 0)

    def clear_faults(self) -> None:
        """Remove every fault and wait until the requests a slow fault held have been answered, so
        nothing lands in the simulators after this point."""
        self.sandbox.injector.clear()
        wait_for(lambda: self.sandbox.injector.holding == 0, 30, "held requests to be answered")

    def store(self) -> StateStore:
        store = StateStore(self.store_url)
        store.migrate()
        return store

    def ledger(self) -> dict[str, Status]:
        store = self.store()
        try:
            return {e.invoice_id: e.status for e in store.unfinished(TENANT, tuple(Status))}
        finally:
            store.dispose()

    def watermark(self) -> Any:
        store = self.store()
        try:
            return store.get_watermark(TENANT, "invoices")
        finally:
            store.dispose()

    def valid_ids(self) -> list[str]:
        ds = self.sandbox.dataset
        return [ds.invoice_id(i) for i in range(INVOICES) if not ds.invalid_kind(i)]

    def invalid_ids(self) -> list[str]:
        ds = self.sandbox.dataset
        return [ds.invoice_id(i) for i in range(INVOICES) if ds.invalid_kind(i)]

    def assert_exactly_once(self) -> None:
        """Every valid invoice is one proposal and Transferred; every invalid one TransferFailed;
        the ledger holds every invoice in a final status."""
        ifs, basware = self.sandbox.ifs, self.sandbox.basware
        assert ifs.duplicate_proposals() == {}
        proposals, ref = ifs.proposals(), ifs.names.external_ref
        assert sorted(p[ref] for p in proposals) == sorted(self.valid_ids())
        # Balanced: the rows carry exactly the header amounts, so no row is missing or doubled.
        states = {p[ref]: p["Objstate"] for p in proposals}
        assert states == dict.fromkeys(self.valid_ids(), "Balanced")
        valid, invalid = self.valid_ids(), self.invalid_ids()
        assert {i: basware.document_status(i) for i in valid} == dict.fromkeys(valid, "Transferred")
        assert {i: basware.document_status(i) for i in invalid} == dict.fromkeys(invalid, "TransferFailed")
        statuses = self.ledger()
        expected = {**dict.fromkeys(self.valid_ids(), Status.REPORTED),
                    **dict.fromkeys(self.invalid_ids(), Status.TRANSFER_FAILED_REPORTED)}
        assert statuses == expected

    def close(self) -> None:
        for child in self.children:
            if child.proc.poll() is None:
                child.kill()


def tenants_file(path: Path, **tenant_changes: Any) -> Path:
    """The bundled demo tenants file with changes to the demo tenant (e.g. alerts)."""
    data = yaml.safe_load(DEFAULT_CONFIG.read_text(encoding="utf-8"))
    demo = next(t for t in data["tenants"] if t["tenant_id"] == TENANT)
    demo.update(tenant_changes)
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def many_tenants_file(path: Path, tenant_ids: list[str], **changes_by_tenant: dict[str, Any]) -> Path:
    """A tenants file with a copy of the demo tenant per id (own connection ids), changed per tenant."""
    data = yaml.safe_load(DEFAULT_CONFIG.read_text(encoding="utf-8"))
    demo = next(t for t in data["tenants"] if t["tenant_id"] == TENANT)
    data["tenants"] = [{**demo, "tenant_id": t, "ifs_conn_id": f"mlc_{t}_ifs",
                        "basware_conn_id": f"mlc_{t}_basware", **changes_by_tenant.get(t, {})}
                       for t in tenant_ids]
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def connect(monkeypatch: pytest.MonkeyPatch, sandbox: Sandbox, state_conn: dict[str, Any]) -> None:
    creds = sandbox.credentials()
    monkeypatch.setenv("AIRFLOW_CONN_MLC_DEMO_BASWARE", json.dumps({
        "conn_type": "basware", "host": sandbox.basware_url, "login": creds["basware"]["client_id"],
        "password": creds["basware"]["client_secret"], "extra": {"region": "sandbox"}}))
    monkeypatch.setenv("AIRFLOW_CONN_MLC_DEMO_IFS", json.dumps({
        "conn_type": "ifscloud", "host": sandbox.ifs_url, "login": creds["ifs"]["client_id"],
        "password": creds["ifs"]["client_secret"], "extra": {"realm": creds["ifs"]["realm"]}}))
    monkeypatch.setenv("AIRFLOW_CONN_ML_CONNECTOR_STATE", json.dumps(state_conn))


def make_dag_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, state_conn: dict[str, Any],
                 store_url: str) -> Iterator[DagEnv]:
    """The demo tenant, its failure alerts going to a receiver of the test's own."""
    receiver = AlertReceiver()
    monkeypatch.setenv(f"AIRFLOW_CONN_{ALERT_CONN_ID.upper()}", receiver.connection())
    tenants = tenants_file(tmp_path / "tenants.yaml", alerts={"email": [], "webhook_conn_id": ALERT_CONN_ID})
    monkeypatch.setenv("ML_CONNECTOR_TENANTS", str(tenants))
    monkeypatch.setenv("ML_CONNECTOR_STAGING", str(tmp_path / "staging"))
    with Sandbox(SandboxOptions(invoices=INVOICES, suppliers=40, faults="invalid-data")) as sandbox:
        connect(monkeypatch, sandbox, state_conn)
        env = DagEnv(sandbox, tmp_path, store_url, receiver)
        try:
            yield env
        finally:
            env.close()
            receiver.close()
            sandbox.injector.clear()  # let anything still held go, so the servers stop at once
            sandbox.basware.close()


def latest_run_states(dag_id: str = DAG_ID) -> tuple[str, dict[str, str]]:
    """The newest run of `dag_id` in Airflow's metadata DB: its state and its task instances' states."""
    from airflow.models.dagrun import DagRun
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        newest = select(DagRun).where(DagRun.dag_id == dag_id).order_by(DagRun.id.desc())
        run = session.scalars(newest).first()
        assert run is not None, f"no run of {dag_id} in the metadata DB"
        tis = {f"{ti.task_id}[{ti.map_index}]": str(ti.state)
               for ti in run.get_task_instances(session=session)}
        return str(run.state), tis


def run_states(db_url: str, dag_id: str = DAG_ID) -> list[tuple[str, str, str]]:
    """(run_id, run_type, state) of every run of `dag_id` in the metadata DB at `db_url`, oldest first:
    for a metadata DB this process is not configured for (the PostgreSQL one of child processes)."""
    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            query = text("SELECT run_id, run_type, state FROM dag_run WHERE dag_id = :d ORDER BY id")
            rows = conn.execute(query, {"d": dag_id}).all()
    finally:
        engine.dispose()
    return [(str(a), str(b), str(c)) for a, b, c in rows]
