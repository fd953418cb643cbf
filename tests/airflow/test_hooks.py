"""Connection types, hooks and Test connection, through Airflow's own code paths, against the sandbox."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from mlc_sandbox.runner import Sandbox

pytestmark = pytest.mark.usefixtures("airflow_db")


def test_provider_registers_both_connection_types_with_forms() -> None:
    from airflow.providers_manager import ProvidersManager

    manager = ProvidersManager()
    hooks = manager.hooks
    assert hooks["basware"] is not None and hooks["basware"].hook_class_name.endswith("BaswareHook")
    assert hooks["ifscloud"] is not None and hooks["ifscloud"].hook_class_name.endswith("IfsCloudHook")
    widgets = manager.connection_form_widgets
    assert "extra__basware__region" in widgets
    assert "extra__ifscloud__realm" in widgets
    behaviour = manager.field_behaviours["basware"]
    assert behaviour["relabeling"]["password"] == "Client secret"


def _orm_connection(conn_id: str, conn_type: str, host: str, login: str, password: str, extra: dict[str, str]):  # type: ignore[no-untyped-def]
    from airflow.models import Connection

    return Connection(conn_id=conn_id, conn_type=conn_type, host=host, login=login, password=password,
                      extra=json.dumps(extra))


def _ui_test_connection(conn) -> tuple[bool, str]:  # type: ignore[no-untyped-def]
    """What the API server's POST /connections/test does: export the conn as an env var, then test it."""
    env = f"AIRFLOW_CONN_{conn.conn_id.upper()}"
    os.environ[env] = conn.get_uri()
    try:
        return conn.test_connection()  # type: ignore[no-any-return]
    finally:
        os.environ.pop(env, None)


@pytest.fixture()
def creds(sandbox: Sandbox) -> Iterator[dict[str, dict[str, str]]]:
    yield sandbox.credentials()


def test_basware_test_connection_takes_a_token_and_reads(sandbox: Sandbox, creds: dict) -> None:  # type: ignore[type-arg]
    before = len(sandbox.basware.request_log)
    conn = _orm_connection("t_bw_ok", "basware", sandbox.basware_url, creds["basware"]["client_id"],
                           creds["basware"]["client_secret"], {"region": "sandbox"})
    ok, message = _ui_test_connection(conn)
    assert ok, message
    assert message.startswith("PASS Basware")
    calls = sandbox.basware.request_log[before:]
    assert calls and all(call["method"] != "POST" or call["path"] == "/v1/tokens" for call in calls)


def test_basware_wrong_secret_fails_without_echoing_it(sandbox: Sandbox, creds: dict) -> None:  # type: ignore[type-arg]
    conn = _orm_connection("t_bw_bad", "basware", sandbox.basware_url, creds["basware"]["client_id"],
                           "wrong-secret-value-123", {"region": "sandbox"})
    ok, message = _ui_test_connection(conn)
    assert not ok
    assert "401" in message or "auth" in message.lower()
    assert "wrong-secret-value-123" not in message


def test_basware_host_outside_the_region_is_refused(sandbox: Sandbox, creds: dict) -> None:  # type: ignore[type-arg]
    conn = _orm_connection("t_bw_region", "basware", "https://test-api.basware.com",
                           creds["basware"]["client_id"], creds["basware"]["client_secret"], {"region": "eu"})
    ok, message = _ui_test_connection(conn)
    assert not ok
    assert "does not belong to region 'eu'" in message


def test_ifs_test_connection_checks_every_company_is_visible(sandbox: Sandbox, creds: dict) -> None:  # type: ignore[type-arg]
    ifs = creds["ifs"]
    conn = _orm_connection("t_ifs_ok", "ifscloud", sandbox.ifs_url, ifs["client_id"], ifs["client_secret"],
                           {"realm": ifs["realm"], "companies": "10,20,30,40"})
    ok, message = _ui_test_connection(conn)
    assert ok, message
    assert "field map 'ifs-cloud' matches $metadata of 5 projections" in message
    missing = _orm_connection("t_ifs_missing", "ifscloud", sandbox.ifs_url, ifs["client_id"],
                              ifs["client_secret"], {"realm": ifs["realm"], "companies": "10,99"})
    ok, message = _ui_test_connection(missing)
    assert not ok
    assert "99" in message and "not visible" in message


def test_ifs_test_connection_checks_the_field_map_of_the_tenant_using_it(
        sandbox: Sandbox, creds: dict, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[type-arg]
    tenants = tmp_path / "tenants.yaml"
    tenants.write_text("tenants:\n  - {tenant_id: old, ifs_conn_id: t_ifs_names, basware_conn_id: b, "
                       "basware_region: sandbox, companies: {US10: '10'},\n"
                       "     ifs: {field_overrides: {posting_proposals: {net: NetAmount}}}}\n")
    monkeypatch.setenv("ML_CONNECTOR_TENANTS", str(tenants))
    ifs = creds["ifs"]
    conn = _orm_connection("t_ifs_names", "ifscloud", sandbox.ifs_url, ifs["client_id"], ifs["client_secret"],
                           {"realm": ifs["realm"], "companies": "10"})
    ok, message = _ui_test_connection(conn)
    assert not ok
    assert "`NetAmount` is not a property of `ManSuppInvoiceSet` (projection ManSuppInvoiceHandling)" in message
    assert "did you mean `NetCurrAmount`?" in message


def test_ifs_incomplete_connection_names_the_missing_field(sandbox: Sandbox) -> None:
    conn = _orm_connection("t_ifs_incomplete", "ifscloud", sandbox.ifs_url, "client", "secret-xyz-987", {})
    ok, message = _ui_test_connection(conn)
    assert not ok
    assert "realm" in message
    assert "secret-xyz-987" not in message


def test_hook_get_conn_returns_our_client(sandbox: Sandbox, creds: dict, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[type-arg]
    from ml_connector.airflow.hooks import IfsCloudHook
    from ml_connector.ifs.client import IfsClient

    ifs = creds["ifs"]
    conn = _orm_connection("t_ifs_hook", "ifscloud", sandbox.ifs_url, ifs["client_id"], ifs["client_secret"],
                           {"extra__ifscloud__realm": ifs["realm"]})
    monkeypatch.setenv("AIRFLOW_CONN_T_IFS_HOOK", conn.get_uri())
    client = IfsCloudHook("t_ifs_hook").get_conn()
    assert isinstance(client, IfsClient)
    companies = client.fields.companies
    assert {row[companies.company] for row in client.reads.iter(companies.projection, companies.entity_set)} == {
        "10", "20", "30", "40"}
