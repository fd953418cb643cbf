"""The operations page on a real `airflow api-server`, after a real DAG run: refused without Airflow's
login or permission, and in headless Chromium: log in, open the page from the UI's navigation, see the
run's figures, replay a quarantined invoice. Screenshots are kept (see browser.artifacts_dir)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
from browser import artifacts_dir, chromium
from test_connection_test_button import SIMPLE_AUTH, _free_port, _wait_until_up
from test_operations import (
    TENANT,
    Wired,
    _drop_connections,
    _fix_cost_center,
    _run_dag,
    _store_connections,
    _tenants_file,
)

from mlc_sandbox.runner import Sandbox, SandboxOptions

# Generous: the setup runs a DAG, two CLI commands and an api-server, and CI may install Chromium first.
pytestmark = [pytest.mark.usefixtures("airflow_db"), pytest.mark.timeout(900)]
USERS = {"admin": ("admin", "admin-pw-for-tests"), "viewer": ("viewer", "viewer-pw-for-tests")}
PAGE = "/ml-connector/ops/"


@dataclass
class Stack:
    url: str
    wired: Wired

    def token(self, user: str) -> str:
        name, password = USERS[user]
        answer = requests.post(f"{self.url}/auth/token", json={"username": name, "password": password}, timeout=30)
        assert answer.status_code in (200, 201), answer.text
        return str(answer.json()["access_token"])


def _start_api_server(home: Path, env: dict[str, str]) -> tuple[subprocess.Popen[bytes], str, Path]:
    passwords = home / "passwords.json"
    passwords.write_text(json.dumps(dict(USERS.values())))
    port = _free_port()
    server_env = {**os.environ, **env, "AIRFLOW__CORE__AUTH_MANAGER": SIMPLE_AUTH,
                  "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": "admin:admin,viewer:viewer",
                  "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(passwords),
                  "AIRFLOW__API_AUTH__JWT_SECRET": "jwt-secret-for-the-ops-page-test"}
    log = home / "api-server.log"
    with log.open("wb") as out:
        server = subprocess.Popen([sys.executable, "-m", "airflow", "api-server", "--host", "127.0.0.1", "--port",
                                   str(port), "--workers", "1"], env=server_env, stdout=out,
                                  stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    return server, f"http://127.0.0.1:{port}", log


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """A sandbox, the `ops` tenant's connections, one real DAG run (dag.test()) and `check`, then an
    api-server with the plugin over the same metadata DB and state store."""
    home = tmp_path_factory.mktemp("opspage")
    with Sandbox(SandboxOptions(invoices=6, suppliers=60)) as sandbox, pytest.MonkeyPatch.context() as mp:
        bad_cc = sandbox.basware.add_documents(1, "unknown_cost_center")[0]
        unknown_company = sandbox.basware.add_documents(1, "unknown_company")[0]
        config = _tenants_file(home / "tenants.yaml")
        env = {"AIRFLOW_CONN_ML_CONNECTOR_STATE": json.dumps({"conn_type": "sqlite", "host": str(home / "state.db")}),
               "ML_CONNECTOR_STAGING": str(home / "staging"), "ML_CONNECTOR_TENANTS": str(config)}
        for key, value in env.items():
            mp.setenv(key, value)
        _store_connections(sandbox)
        server, url, log = _start_api_server(home, env)  # boots while the DAG runs
        wired = Wired(sandbox, config, env, bad_cc, unknown_company)
        try:
            gaps = wired.cli("gaps")  # before the run: the invalid invoices are still waiting for transfer
            assert gaps.returncode == 0, gaps.stdout + gaps.stderr
            _run_dag(config)
            checked = wired.cli("check")
            assert checked.returncode == 0, checked.stdout + checked.stderr
            _wait_until_up(url, server, log)
            yield Stack(url, wired)
        finally:
            server.terminate()
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
            _drop_connections()


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "no replay form on the page"
    return found.group(1)


def test_the_page_refuses_who_is_not_signed_in_or_may_not_replay(stack: Stack) -> None:
    url, bad = stack.url, stack.wired.bad_cost_center
    anonymous = requests.get(f"{url}{PAGE}", timeout=30)
    assert anonymous.status_code == 401 and TENANT not in anonymous.text
    browser_like = requests.get(f"{url}{PAGE}", headers={"Accept": "text/html"}, timeout=30)
    assert browser_like.status_code == 401 and "/auth/login" in browser_like.text
    forged = requests.get(f"{url}{PAGE}api/tenants/{TENANT}", headers={"Authorization": "Bearer not-a-jwt"},
                          timeout=30)
    assert forged.status_code in (401, 403)
    form = {"tenant": TENANT, "invoice_id": bad, "csrf_token": "1.x"}
    assert requests.post(f"{url}{PAGE}replay", data=form, timeout=30).status_code == 401

    viewer = {"Authorization": f"Bearer {stack.token('viewer')}"}
    seen = requests.get(f"{url}{PAGE}", headers=viewer, timeout=30)
    assert seen.status_code == 200 and f"Tenant {TENANT}" in seen.text
    assert 'action="replay"' not in seen.text  # a viewer gets no replay button ...
    admin = {"Authorization": f"Bearer {stack.token('admin')}"}
    token = _csrf(requests.get(f"{url}{PAGE}", headers=admin, timeout=30).text)
    refused = requests.post(f"{url}{PAGE}replay", data={**form, "csrf_token": token}, headers=viewer, timeout=30)
    assert refused.status_code == 403  # ... and no replay by hand (the admin's CSRF token is not the viewer's)
    stale = requests.post(f"{url}{PAGE}replay", data=form, headers=admin, timeout=30, allow_redirects=False)
    assert stale.status_code == 403 and "reload the page" in stale.text
    cross_site = requests.post(f"{url}{PAGE}replay", data={**form, "csrf_token": token},
                               headers={**admin, "Origin": "http://evil.example"}, timeout=30, allow_redirects=False)
    assert cross_site.status_code == 403
    assert bad in stack.wired.quarantined()  # nothing was replayed

    figures = requests.get(f"{url}{PAGE}api/tenants/{TENANT}", headers=viewer, timeout=30).json()
    assert figures["periods"]["today"]["moved"] == len(stack.wired.proposal_refs())
    secrets = [c["client_secret"] for c in stack.wired.sandbox.credentials().values()]
    assert not any(secret in seen.text or secret in json.dumps(figures) for secret in secrets)


def _wait(driver: Any, css: str, timeout: float = 60) -> Any:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout).until(expected_conditions.presence_of_element_located((By.CSS_SELECTOR,
                                                                                                  css)))


def _text(driver: Any, element_id: str) -> str:
    return str(_wait(driver, f"#{element_id}").text)


def test_in_chromium_log_in_see_the_run_and_replay_from_the_page(stack: Stack) -> None:
    from selenium.webdriver.common.by import By

    wired, shots = stack.wired, artifacts_dir()
    proposals, held = len(wired.proposal_refs()), len(wired.quarantined())
    with chromium() as driver:
        driver.get(f"{stack.url}/auth/login")
        _wait(driver, "input[name=username]").send_keys(USERS["admin"][0])
        driver.find_element(By.CSS_SELECTOR, "input[name=password]").send_keys(USERS["admin"][1])
        driver.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
        _wait(driver, "a[href$='plugin/ml-connector']").click()  # the UI's navigation entry
        driver.switch_to.frame(_wait(driver, "iframe"))
        _wait(driver, f"#show-{TENANT}").click()  # this tenant only
        assert _text(driver, f"{TENANT}-moved-today").startswith(str(proposals))
        assert _text(driver, f"{TENANT}-open-quarantine").startswith(str(held))
        runs = _text(driver, f"{TENANT}-dag-runs")
        assert f"mlc_{TENANT}_invoices" in runs and "success" in runs
        quarantine = _text(driver, f"{TENANT}-quarantine")
        assert wired.bad_cost_center in quarantine and "invalid_dimension" in quarantine
        gaps = _text(driver, f"{TENANT}-gaps")
        assert "CC-DOES-NOT-EXIST" in gaps and wired.bad_cost_center in gaps
        assert f"{held} quarantined" in _text(driver, f"{TENANT}-invoice-runs")  # not plain green
        health = _text(driver, f"{TENANT}-health")
        assert "PASS" in health and "never checked" not in health
        driver.switch_to.default_content()
        before = shots / "operations-page.png"
        driver.save_screenshot(str(before))

        _fix_cost_center(wired)
        driver.switch_to.frame(driver.find_element(By.CSS_SELECTOR, "iframe"))
        _wait(driver, f"#replay-{TENANT}-{wired.bad_cost_center}").click()
        assert "transferred" in _text(driver, "notice")
        assert "Next: done" in _text(driver, "trace")
        assert wired.bad_cost_center not in _text(driver, f"{TENANT}-quarantine")
        assert _text(driver, f"{TENANT}-open-quarantine").startswith(str(held - 1))
        driver.switch_to.default_content()
        after = shots / "operations-page-after-replay.png"
        driver.save_screenshot(str(after))
    print(f"\nscreenshots: {before} {after}")
    assert len(wired.proposal_refs()) == proposals + 1
    assert wired.sandbox.basware.document_state(wired.bad_cost_center)["processingStatus"] == "Transferred"
