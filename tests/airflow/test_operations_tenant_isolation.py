"""`quarantine list` and `replay` scoped by --tenant: two tenants in one state store, each command sees
and changes only the named tenant's entries."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from ml_connector.config import load_config
from ml_connector.state import StateStore
from ml_connector.sync.errors import RECORD_TYPE
from mlc_sandbox.runner import Sandbox, SandboxOptions

pytestmark = pytest.mark.usefixtures("airflow_db")
TENANTS = ("alpha", "beta")


def _env(tmp_path: Path, sandbox: Sandbox) -> dict[str, str]:
    demo = load_config().tenant("demo").model_dump(mode="json")
    config = tmp_path / "tenants.yaml"
    config.write_text(yaml.safe_dump({"tenants": [
        {**demo, "tenant_id": t, "basware_conn_id": f"mlc_{t}_basware", "ifs_conn_id": f"mlc_{t}_ifs"}
        for t in TENANTS]}), encoding="utf-8")
    creds = sandbox.credentials()
    bw, ifs = creds["basware"], creds["ifs"]
    env = {"AIRFLOW_CONN_ML_CONNECTOR_STATE": json.dumps({"conn_type": "sqlite", "host": str(tmp_path / "s.db")}),
           "ML_CONNECTOR_TENANTS": str(config)}
    for t in TENANTS:
        env[f"AIRFLOW_CONN_MLC_{t.upper()}_BASWARE"] = json.dumps({
            "conn_type": "basware", "host": bw["base_url"], "login": bw["client_id"],
            "password": bw["client_secret"], "extra": {"region": "sandbox"}})
        env[f"AIRFLOW_CONN_MLC_{t.upper()}_IFS"] = json.dumps({
            "conn_type": "ifs_cloud", "host": ifs["base_url"], "login": ifs["client_id"],
            "password": ifs["client_secret"], "extra": {"realm": ifs["realm"]}})
    return env


def _cli(env: dict[str, str], tenant: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ml_connector.cli", *args, "--tenant", tenant,
                           "--config", env["ML_CONNECTOR_TENANTS"]], capture_output=True, text=True,
                          env={**os.environ, **env}, timeout=120, stdin=subprocess.DEVNULL)


def test_quarantine_and_replay_see_and_touch_only_the_named_tenant(tmp_path: Path) -> None:
    with Sandbox(SandboxOptions(invoices=2, suppliers=10)) as sandbox:
        env = _env(tmp_path, sandbox)
        store = StateStore(f"sqlite:///{tmp_path / 's.db'}")
        store.migrate()
        try:
            for t in TENANTS:
                store.quarantine(t, RECORD_TYPE, f"INV-{t.upper()}", "malformed", f"{t}'s own reason")
            listed = _cli(env, "beta", "quarantine", "list", "--json")
            assert listed.returncode == 0, listed.stderr
            assert [e["invoice_id"] for e in json.loads(listed.stdout)] == ["INV-BETA"]
            assert "alpha" not in listed.stdout.lower()

            other = _cli(env, "beta", "replay", "--invoice", "INV-ALPHA", "--json")
            assert json.loads(other.stdout)["results"]["INV-ALPHA"]["outcome"] == "not_quarantined", other.stderr
            every = _cli(env, "beta", "replay", "--all", "--json")
            assert set(json.loads(every.stdout)["results"]) == {"INV-BETA"}, every.stderr

            alpha = store.get_quarantined("alpha", RECORD_TYPE, "INV-ALPHA")
            assert alpha is not None and alpha.replay_count == 0 and alpha.resolved_at is None
            assert alpha.reason == "alpha's own reason"
        finally:
            store.dispose()
            sandbox.basware.close()
