"""What a new user sees when `connect` / `check` go wrong: one line naming the cause and the fix, no
traceback, no retry noise, no warnings from Airflow; and whether the connections were stored."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from mlc_sandbox.runner import Sandbox


def _run(args: list[str], **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ml_connector.cli", *args], capture_output=True, text=True,
                          env={**os.environ, **env}, timeout=120, stdin=subprocess.DEVNULL)


def _tenants_file(tmp_path: Path, tenant: str) -> Path:
    path = tmp_path / "tenants.yaml"
    path.write_text(f"""
tenants:
  - tenant_id: {tenant}
    ifs_conn_id: mlc_{tenant}_ifs
    basware_conn_id: mlc_{tenant}_basware
    basware_region: sandbox
    companies: {{US10: "10", DE20: "20"}}
""")
    return path


def _connect(tenant: str, config: Path, basware_url: str, ifs_url: str) -> list[str]:
    return ["connect", "--tenant", tenant, "--config", str(config), "--basware-url", basware_url,
            "--basware-client-id", "sandbox-basware-client", "--ifs-url", ifs_url, "--ifs-realm", "sandbox",
            "--ifs-client-id", "sandbox-ifs-client"]


SECRETS = {"MLC_BASWARE_CLIENT_SECRET": "sandbox-basware-secret", "MLC_IFS_CLIENT_SECRET": "sandbox-ifs-secret"}


def _closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_connect_on_a_fresh_airflow_home_says_to_run_db_migrate(tmp_path: Path) -> None:
    home = tmp_path / "fresh-home"
    home.mkdir()
    done = _run(_connect("fresh", _tenants_file(tmp_path, "fresh"), "http://127.0.0.1:1", "http://127.0.0.1:2"),
                AIRFLOW_HOME=str(home), AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=f"sqlite:///{home / 'airflow.db'}",
                **SECRETS)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    [line] = done.stderr.strip().splitlines()
    assert line.startswith("error: Airflow's metadata DB (sqlite:///") and "has no table 'connection'" in line
    assert "Run `airflow db migrate`" in line


@pytest.mark.usefixtures("airflow_db")
def test_an_unreachable_host_is_one_line_per_system_and_says_the_connections_were_stored(tmp_path: Path) -> None:
    bw_port, ifs_port = _closed_port(), _closed_port()
    done = _run(_connect("down", _tenants_file(tmp_path, "down"), f"http://127.0.0.1:{bw_port}",
                         f"http://127.0.0.1:{ifs_port}"), **SECRETS)
    assert done.returncode == 1
    assert done.stderr == "", "no retry warnings, no urllib3 text, no Airflow warnings"
    lines = done.stdout.strip().splitlines()
    assert len(lines) == 3, done.stdout
    # The cause and the fix in one line each.
    fix = "Connection refused; check the URL and that this machine reaches it"
    assert lines[0].startswith(f"FAIL Basware: ConnectionError: cannot connect to 127.0.0.1:{bw_port}: {fix} "
                               "(POST /v1/tokens)")
    assert lines[1].startswith(f"FAIL IFS Cloud: ConnectionError: cannot connect to 127.0.0.1:{ifs_port}: {fix} "
                               "(POST /auth/realms/sandbox/")
    assert "Max retries" not in done.stdout and "HTTPConnectionPool" not in done.stdout
    assert lines[2].startswith("connections mlc_down_basware and mlc_down_ifs stored in Airflow's metadata DB, "
                               "although a check failed")
    assert "`ml-connector check --tenant down`" in lines[2]
    # Stored, as it says: `check` finds them (and fails the same way, without asking for the secrets).
    checked = _run(["check", "--tenant", "down", "--config", str(tmp_path / "tenants.yaml")])
    assert checked.returncode == 1 and "does not exist" not in checked.stdout
    assert f"cannot connect to 127.0.0.1:{bw_port}" in checked.stdout


@pytest.mark.usefixtures("airflow_db")
def test_a_good_connect_prints_no_airflow_warnings_and_stores_no_defaults(sandbox: Sandbox, tmp_path: Path) -> None:
    """Regression: every command printed Airflow's "Connection schemes (type: ifs_cloud) shall not contain
    '_'" and "Skipping masking for a secret as it's too short" (the extra projection_path=main)."""
    done = _run(_connect("quiet", _tenants_file(tmp_path, "quiet"), sandbox.basware_url, sandbox.ifs_url),
                **SECRETS)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stderr == ""
    assert done.stdout.strip().splitlines()[-1] == ("connections mlc_quiet_basware and mlc_quiet_ifs stored in "
                                                    "Airflow's metadata DB")
    from airflow.models import Connection
    from airflow.utils.session import create_session

    from ml_connector.airflow.hooks import IfsCloudHook

    with create_session() as session:
        ifs = session.query(Connection).filter(Connection.conn_id == "mlc_quiet_ifs").one()
        assert ifs.conn_type == "ifscloud"
        assert json.loads(ifs.extra) == {"realm": "sandbox", "companies": "10,20"}
        assert IfsCloudHook.parse_connection(ifs).projection_path == "main"
    checked = _run(["check", "--tenant", "quiet", "--config", str(tmp_path / "tenants.yaml")])
    assert checked.returncode == 0 and checked.stderr == "", checked.stdout + checked.stderr
