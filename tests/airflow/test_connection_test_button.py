"""The UI's connection Test button against a real `airflow api-server` process, for connections that
`ml-connector connect` created.

Regression: the button posts `port: Number(connection.port)`, 0 for a connection stored without a
port, and Airflow answered 400 "The host or port to test differs from the stored connection".
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from test_connect import _connect_args, _run, _secrets, _tenants_file

from mlc_sandbox.runner import Sandbox

pytestmark = pytest.mark.usefixtures("airflow_db")
USER, PASSWORD = "operator", "operator-pw-for-tests"
SIMPLE_AUTH = "airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_until_up(url: str, server: subprocess.Popen[bytes], log: Path) -> None:
    """Poll the health endpoint; the api-server starts in a few seconds (bounded: 120 s)."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"api-server exited {server.returncode}:\n{log.read_text()[-4000:]}")
        try:
            if requests.get(f"{url}/api/v2/monitor/health", timeout=10).ok:
                return
        except requests.RequestException:  # not listening yet, or too busy starting to answer
            pass
        time.sleep(0.5)
    pytest.fail(f"api-server did not answer in 120 s:\n{log.read_text()[-4000:]}")


@pytest.fixture(scope="module")
def api_server(tmp_path_factory: pytest.TempPathFactory, sandbox: Sandbox, airflow_db: str) -> Iterator[
        tuple[str, Path]]:
    """A real api-server on loopback over this worker's metadata DB, simple auth manager, one known user."""
    home = tmp_path_factory.mktemp("apiserver")
    config = _tenants_file(home, "button")
    passwords = home / "passwords.json"
    passwords.write_text(json.dumps({USER: PASSWORD}))
    port = _free_port()
    env = {**os.environ, "AIRFLOW__CORE__AUTH_MANAGER": SIMPLE_AUTH,
           "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": f"{USER}:admin",
           "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(passwords),
           "AIRFLOW__API_AUTH__JWT_SECRET": "jwt-secret-for-the-button-test",
           "AIRFLOW__CORE__TEST_CONNECTION": "Enabled", "ML_CONNECTOR_TENANTS": str(config)}
    log = home / "api-server.log"
    with log.open("wb") as out:
        server = subprocess.Popen([sys.executable, "-m", "airflow", "api-server", "--host", "127.0.0.1",
                                   "--port", str(port), "--workers", "1"], env=env, stdout=out,
                                  stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(url, server, log)
        yield url, config
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()


def _token(url: str) -> str:
    answer = requests.post(f"{url}/auth/token", json={"username": USER, "password": PASSWORD}, timeout=30)
    assert answer.status_code in (200, 201), answer.text
    return str(answer.json()["access_token"])


def _button_body(conn: dict[str, Any]) -> dict[str, Any]:
    """Exactly what the Airflow 3 UI's Test button posts for a connection row of the list (its
    TestConnectionButton: `port: Number(connection.port)`, empty strings for missing text fields)."""
    port = conn.get("port")
    return {"conn_type": conn["conn_type"], "connection_id": conn["connection_id"],
            "description": conn.get("description") or "",
            "extra": conn.get("extra") if conn.get("extra") not in ("", None) else "{}",
            "host": conn.get("host") or "", "login": conn.get("login") or "",
            "password": conn.get("password") or "", "port": int(port) if port is not None else 0,
            "schema": conn.get("schema") or ""}


def test_the_ui_test_button_passes_for_both_connections_connect_created(
        api_server: tuple[str, Path], sandbox: Sandbox) -> None:
    url, config = api_server
    done = _run(_connect_args(sandbox, "button", config), **_secrets(sandbox))
    assert done.returncode == 0, done.stdout + done.stderr
    headers = {"Authorization": f"Bearer {_token(url)}"}
    for conn_id in ("mlc_button_basware", "mlc_button_ifs"):
        listed = requests.get(f"{url}/api/v2/connections/{conn_id}", headers=headers, timeout=30)
        assert listed.status_code == 200, listed.text
        answer = requests.post(f"{url}/api/v2/connections/test", json=_button_body(listed.json()),
                               headers=headers, timeout=60)
        assert answer.status_code == 200, f"{conn_id}: {answer.status_code} {answer.text}"
        assert answer.json()["status"] is True, f"{conn_id}: {answer.json()['message']}"
        for secret in _secrets(sandbox).values():
            assert secret not in answer.text
