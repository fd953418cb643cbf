"""The webhook plugin in real Airflow: loaded by the plugins manager, mounted on the API server's app,
subscribed with `ml-connector subscribe`, creating (debounced) DagRuns in the worker's metadata DB."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml

from ml_connector.config import DEFAULT_CONFIG
from mlc_sandbox.basware import BaswareSimulator
from mlc_sandbox.faults import FaultInjector
from mlc_sandbox.seed import SeedConfig, build_dataset
from mlc_sandbox.server import ThreadedServer, serve

pytestmark = pytest.mark.usefixtures("airflow_db")
TRIGGER_TENANT, E2E_TENANT, CANARY_TENANT = "hooktrig", "hooke2e", "hookcanary"


def _tenant(tenant_id: str) -> dict[str, Any]:
    return {"tenant_id": tenant_id, "ifs_conn_id": f"mlc_{tenant_id}_ifs",
            "basware_conn_id": f"mlc_{tenant_id}_basware", "basware_region": "sandbox",
            "companies": {"US10": "10"}, "trigger": {"mode": "both"}}


def _serialize_dags() -> None:
    """Parse the dags folder into the metadata DB, as the DAG processor would (trigger_dag needs it)."""
    from airflow.dag_processing.bundles.manager import DagBundlesManager
    from airflow.dag_processing.dagbag import BundleDagBag, sync_bag_to_db

    manager = DagBundlesManager()
    manager.sync_bundles_to_db()
    for bundle in manager.get_all_dag_bundles():
        if not bundle.is_initialized:
            bundle.initialize()
        bag = BundleDagBag(dag_folder=bundle.path, bundle_path=bundle.path, bundle_name=bundle.name)
        sync_bag_to_db(bag, bundle.name, bundle.version)


def _runs(dag_id: str) -> list[Any]:
    from airflow.models import DagRun
    from airflow.utils.session import create_session

    with create_session() as session:
        runs = session.query(DagRun).filter(DagRun.dag_id == dag_id).order_by(DagRun.id).all()
        session.expunge_all()
        return runs


def _delete(model: Any, **where: Any) -> None:
    from airflow.utils.session import create_session

    with create_session() as session:
        session.query(model).filter_by(**where).delete()


@pytest.fixture(scope="module")
def tenants(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The demo tenants plus two of ours, their DAGs in the metadata DB, a state store of their own."""
    home = tmp_path_factory.mktemp("webhooks")
    data = yaml.safe_load(DEFAULT_CONFIG.read_text(encoding="utf-8"))
    data["tenants"] += [_tenant(TRIGGER_TENANT), _tenant(E2E_TENANT), _tenant(CANARY_TENANT)]
    path = home / "tenants.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ML_CONNECTOR_TENANTS", str(path))
        state = {"conn_type": "sqlite", "host": str(home / "state.db")}
        mp.setenv("AIRFLOW_CONN_ML_CONNECTOR_STATE", json.dumps(state))
        _serialize_dags()
        yield path
    from airflow.models import DagRun

    for tenant in (TRIGGER_TENANT, E2E_TENANT, CANARY_TENANT):
        _delete(DagRun, dag_id=f"mlc_{tenant}_invoices")


def test_the_plugin_is_loaded_by_airflows_plugins_manager() -> None:
    from airflow import plugins_manager

    apps, _ = plugins_manager.get_fastapi_plugins()
    ours = [a for a in apps if a["name"] == "ml-connector webhooks"]
    assert len(ours) == 1 and ours[0]["url_prefix"] == "/ml-connector/webhooks"
    assert not any("ml_connector_plugin" in source for source in plugins_manager.get_import_errors())


def test_the_trigger_creates_one_queued_run_and_debounces(tenants: Path) -> None:
    from airflow.exceptions import DagNotFound
    from airflow.utils.session import create_session
    from airflow.utils.state import DagRunState

    from ml_connector.airflow.webhook_trigger import trigger_invoice_run

    dag_id = f"mlc_{TRIGGER_TENANT}_invoices"
    assert trigger_invoice_run(TRIGGER_TENANT, ["INV-1"]) is True
    assert trigger_invoice_run(TRIGGER_TENANT, ["INV-2"]) is False  # one is queued: it will see INV-2 too
    [run] = _runs(dag_id)
    assert run.state == DagRunState.QUEUED and run.run_type == "manual"
    assert run.triggered_by.value == "rest_api" and run.triggering_user_name == "basware-webhook"

    with create_session() as session:  # the scheduler starts it: a later document may miss its extract
        session.merge(run).state = DagRunState.RUNNING
    assert trigger_invoice_run(TRIGGER_TENANT, ["INV-3"]) is True
    assert trigger_invoice_run(TRIGGER_TENANT, ["INV-4"]) is False
    assert sorted(r.state for r in _runs(dag_id)) == [DagRunState.QUEUED, DagRunState.RUNNING]

    with pytest.raises(DagNotFound):
        trigger_invoice_run("no_such_tenant", ["INV-5"])


@pytest.fixture(scope="module")
def api_server(tenants: Path) -> Iterator[ThreadedServer]:
    """Airflow's own API-server app (plugins mounted by Airflow), served over HTTP."""
    from airflow.api_fastapi.app import create_app

    with serve(create_app()) as server:
        yield server


def test_subscribe_then_notifications_reach_the_api_server_and_queue_one_run(
    tenants: Path, api_server: ThreadedServer, capsys: pytest.CaptureFixture[str],
) -> None:
    from airflow.models import Connection
    from airflow.utils.session import create_session

    from ml_connector.airflow.webhook_app import state_store
    from ml_connector.cli import main

    sim = BaswareSimulator(build_dataset(SeedConfig(invoices=3, suppliers=5)), FaultInjector())
    conn_id = f"mlc_{E2E_TENANT}_basware"
    url = f"{api_server.url}/ml-connector/webhooks/basware/{E2E_TENANT}"
    try:
        with serve(sim.app) as basware:
            with create_session() as session:
                session.add(Connection(conn_id=conn_id, conn_type="basware", host=basware.url,
                                       login=sim.settings.client_id, password=sim.settings.client_secret,
                                       extra=json.dumps({"region": "sandbox"})))
            assert main(["subscribe", "--tenant", E2E_TENANT, "--url", url, "--config", str(tenants)]) == 0
            out = capsys.readouterr()
            assert len(sim.ctx.subscriptions.all()) == 1
            assert "subscription created" in out.out
            assert "new webhook secret stored" in out.out
            assert [d["status"] for d in sim.webhook_deliveries] == [200]  # the ConnectionTest, verified

            with create_session() as session:
                stored = session.query(Connection).filter(Connection.conn_id == conn_id).one()
                secret = stored.extra_dejson["webhook_secret"]
                assert stored.is_extra_encrypted and secret not in (stored._extra or "")
            assert len(secret) >= 40 and secret not in out.out + out.err

            answer = requests.post(f"{basware.url}/_sandbox/basware/documents", json={"count": 3},
                                   timeout=10)
            ids = answer.json()["invoiceIds"]
            assert sim.wait_for_webhooks(15)
            assert [d["status"] for d in sim.webhook_deliveries[1:]] == [200, 200, 200]
            inbox = state_store().pending_deliveries(E2E_TENANT)
            assert sorted(d.document_id or "" for d in inbox) == sorted(ids)
            assert len(_runs(f"mlc_{E2E_TENANT}_invoices")) == 1  # three notifications, one queued run

            assert main(["subscribe", "--tenant", E2E_TENANT, "--url", url, "--config", str(tenants)]) == 0
            again = capsys.readouterr().out
            assert "existing webhook secret used" in again and secret not in again
            assert "subscription reused" in again and len(sim.ctx.subscriptions.all()) == 1  # still one
    finally:
        sim.close()
        _delete(Connection, conn_id=conn_id)


def test_tenant_directory_caches_secrets_but_not_their_absence() -> None:
    from pydantic import SecretStr

    from ml_connector.airflow.webhook_app import TenantDirectory
    from ml_connector.config import ConnectorConfig

    config = ConnectorConfig.model_validate({"tenants": [
        _tenant("pushy"), {**_tenant("poller"), "trigger": {"mode": "poll"}}]})
    stored: dict[str, str] = {}
    reads: list[str] = []
    now = [0.0]

    def secret(conn_id: str) -> SecretStr | None:
        reads.append(conn_id)
        return SecretStr(stored[conn_id]) if conn_id in stored else None

    directory = TenantDirectory(lambda: config, secret, ttl=30, clock=lambda: now[0])
    assert directory("nobody") is None
    poller = directory("poller")
    assert poller is not None and poller.mode == "poll" and poller.secret is None and reads == []
    assert directory("pushy").secret is None  # type: ignore[union-attr]
    stored["mlc_pushy_basware"] = "first"  # `subscribe` just stored it: usable at once
    assert directory("pushy").secret.get_secret_value() == "first"  # type: ignore[union-attr]
    stored["mlc_pushy_basware"] = "second"
    assert directory("pushy").secret.get_secret_value() == "first"  # type: ignore[union-attr]
    now[0] = 31
    assert directory("pushy").secret.get_secret_value() == "second"  # type: ignore[union-attr]
    assert reads == ["mlc_pushy_basware"] * 3


def test_no_chosen_secret_in_what_the_webhook_endpoint_answers_logs_or_stores(
    tenants: Path, api_server: ThreadedServer, tmp_path: Path, airflow_db: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The real API server, a tenant whose client secret and webhook secret the test chose: genuine,
    replayed, forged, truncated, cross-tenant, malformed, nested and huge deliveries. No answer, page, log
    line, inbox row or metadata-DB value holds a secret or a signature (the connection only encrypted); nor
    does the operations page, signed in as an admin, with a quarantined invoice of the tenant on it."""
    import logging
    import time

    from airflow.api_fastapi.app import get_auth_manager
    from airflow.api_fastapi.auth.managers.simple.user import SimpleAuthManagerUser
    from airflow.models import Connection
    from airflow.utils.session import create_session

    from canaries import fetch_pages, scan_for_canaries, scan_pages
    from ml_connector.airflow.webhook_app import state_store
    from ml_connector.webhooks import sign

    caplog.set_level(logging.DEBUG)
    chosen = {"client": "canary-client-" + uuid.uuid4().hex, "webhook": "canary-hook-" + uuid.uuid4().hex}
    conn_id = f"mlc_{CANARY_TENANT}_basware"
    with create_session() as session:
        session.add(Connection(conn_id=conn_id, conn_type="basware", host="http://127.0.0.1:9", login="canary",
                               password=chosen["client"],
                               extra=json.dumps({"region": "sandbox", "webhook_secret": chosen["webhook"]})))
    url = f"{api_server.url}/ml-connector/webhooks/basware/{CANARY_TENANT}"
    body = json.dumps({"taskId": "t-canary", "taskStatus": "New", "taskType": "AccountingDocuments",
                       "taskSubType": "WaitingForTransfer", "documentId": "INV-CANARY",
                       "expirationTime": "2030-01-01T00:00:00Z"}).encode()
    good = sign(chosen["webhook"], body)
    now = str(int(time.time()))
    attempts = {
        "genuine": (url, body, good), "replayed": (url, body, good),
        "forged": (url, body, sign("not-the-secret", body)), "truncated": (url, body, good[:32]),
        "flipped": (url, body, good[:-1] + ("0" if good[-1] != "0" else "1")),
        "unknown tenant": (f"{api_server.url}/ml-connector/webhooks/basware/nobody", body, good),
        "cross-tenant": (f"{api_server.url}/ml-connector/webhooks/basware/{E2E_TENANT}", body, good),
        "malformed": (url, b'{"taskId": ', sign(chosen["webhook"], b'{"taskId": ')),
        "nested": (url, b"[" * 20_000 + b"]" * 20_000, sign(chosen["webhook"], b"[" * 20_000 + b"]" * 20_000)),
        "huge": (url, b"x" * 200_000, sign(chosen["webhook"], b"x" * 200_000)),
    }
    answers: dict[str, str] = {}
    try:
        for name, (target, payload, signature) in attempts.items():
            answer = requests.post(target, data=payload, timeout=30, headers={
                "x-bwapi-signature-256": signature, "x-bwapi-timestamp": now, "x-bwapi-delivery-id": name})
            answers[name] = f"{answer.status_code} {dict(answer.headers)} {answer.text}"
        statuses = {name: int(text.split()[0]) for name, text in answers.items()}
        assert (statuses["genuine"], statuses["replayed"]) == (200, 200), answers
        assert '"duplicate"' in answers["replayed"]
        assert {statuses[n] for n in ("forged", "truncated", "flipped", "unknown tenant", "cross-tenant")} == {401}
        assert (statuses["malformed"], statuses["nested"], statuses["huge"]) == (400, 400, 413), answers

        canaries = [*chosen.values(), good]
        found = scan_for_canaries(canaries, texts={**{f"answer {n}": t for n, t in answers.items()},
                                                   "logs": caplog.text},
                                  db_urls=[f"sqlite:///{tenants.parent / 'state.db'}", airflow_db])
        found += scan_pages(api_server.url, canaries, tenants=[CANARY_TENANT, "nobody"])
        # Signed in: the operations page shows the tenant's quarantine (reason and id, not the payload).
        state_store().quarantine(CANARY_TENANT, "invoice", "INV-CANARY-Q", "unknown_cost_center",
                                 "cost center CC-404 is not in IFS", {"note": "payload never shown"})
        admin = SimpleAuthManagerUser(username="admin", role="admin")
        bearer = {"Authorization": f"Bearer {get_auth_manager().generate_jwt(admin)}"}
        signed_in = fetch_pages(api_server.url, tenants=[CANARY_TENANT, "nobody"], invoice="INV-CANARY-Q",
                                headers=bearer)
        status = {a.where.replace(api_server.url, ""): a.status for a in signed_in}
        ops = "/ml-connector/ops/"
        assert (status[f"GET {ops}"], status[f"GET {ops}?tenant={CANARY_TENANT}"],
                status[f"GET {ops}?tenant={CANARY_TENANT}&invoice=INV-CANARY-Q"],
                status[f"GET {ops}api/tenants/{CANARY_TENANT}"]) == (200, 200, 200, 200), status
        assert (status[f"GET {ops}api/tenants/nobody"], status[f"POST {ops}replay"]) == (404, 403), status
        tenant_page = next(a.content for a in signed_in if a.where.endswith(f"?tenant={CANARY_TENANT}"))
        assert b"INV-CANARY-Q" in tenant_page and b"CC-404" in tenant_page
        assert b"payload never shown" not in b"".join(a.content for a in signed_in)
        found += scan_pages(api_server.url, canaries, tenants=[CANARY_TENANT, "nobody"], headers=bearer)
        assert found == []
        # The scan does see the inbox row the genuine delivery made (so an empty finding means something).
        assert scan_for_canaries(["INV-CANARY"], db_urls=[f"sqlite:///{tenants.parent / 'state.db'}"]) != []
    finally:
        _delete(Connection, conn_id=conn_id)
