"""`ml-connector connect` / `check` as a user runs them: subprocess, real Airflow DB, the sandbox."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from mlc_sandbox.runner import Sandbox

pytestmark = pytest.mark.usefixtures("airflow_db")


def _run(args: list[str], **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ml_connector.cli", *args], capture_output=True, text=True,
                          env={**os.environ, **env}, timeout=120, stdin=subprocess.DEVNULL)


def _tenants_file(tmp_path: Path, tenant: str, region: str = "sandbox", ifs: str = "") -> Path:
    path = tmp_path / "tenants.yaml"
    path.write_text(f"""
tenants:
  - tenant_id: {tenant}
    ifs_conn_id: mlc_{tenant}_ifs
    basware_conn_id: mlc_{tenant}_basware
    basware_region: {region}
    companies: {{US10: "10", DE20: "20"}}
    {ifs}
""")
    return path


def _connect_args(sandbox: Sandbox, tenant: str, config: Path, basware_url: str | None = None) -> list[str]:
    creds = sandbox.credentials()
    return ["connect", "--tenant", tenant, "--config", str(config),
            "--basware-url", basware_url or sandbox.basware_url,
            "--basware-client-id", creds["basware"]["client_id"],
            "--ifs-url", sandbox.ifs_url, "--ifs-realm", creds["ifs"]["realm"],
            "--ifs-client-id", creds["ifs"]["client_id"]]


def _secrets(sandbox: Sandbox) -> dict[str, str]:
    creds = sandbox.credentials()
    return {"MLC_BASWARE_CLIENT_SECRET": creds["basware"]["client_secret"],
            "MLC_IFS_CLIENT_SECRET": creds["ifs"]["client_secret"]}


def test_connect_stores_encrypted_connections_and_pings_both(sandbox: Sandbox, tmp_path: Path) -> None:
    config = _tenants_file(tmp_path, "acme")
    secrets = _secrets(sandbox)
    done = _run(_connect_args(sandbox, "acme", config), **secrets)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "PASS Basware" in done.stdout and "PASS IFS Cloud" in done.stdout
    assert "companies 10, 20 visible" in done.stdout
    for secret in secrets.values():
        assert secret not in done.stdout + done.stderr

    from airflow.models import Connection
    from airflow.utils.session import create_session

    with create_session() as session:
        stored = session.query(Connection).filter(Connection.conn_id == "mlc_acme_basware").one()
        assert stored.is_encrypted, "the secret must be Fernet-encrypted in the metadata DB"
        assert stored.password == secrets["MLC_BASWARE_CLIENT_SECRET"]
        assert stored.conn_type == "basware"

    checked = _run(["check", "--tenant", "acme", "--config", str(config)])
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert checked.stdout.count("PASS") == 3
    assert "PASS IFS field map: field map 'ifs-cloud' matches $metadata of 5 projections" in checked.stdout


def test_check_fails_naming_a_property_the_tenants_ifs_does_not_have(sandbox: Sandbox, tmp_path: Path) -> None:
    ifs = "ifs: {field_map: ifs-cloud, field_overrides: {posting_proposals: {net: NetAmount}}}"
    config = _tenants_file(tmp_path, "oldnames", ifs=ifs)
    done = _run(_connect_args(sandbox, "oldnames", config), **_secrets(sandbox))
    assert done.returncode == 1, done.stdout + done.stderr
    assert "PASS Basware" in done.stdout and "PASS IFS Cloud" in done.stdout
    [line] = [x for x in done.stdout.splitlines() if x.startswith("FAIL IFS field map")]
    assert ("`NetAmount` is not a property of `ManSuppInvoiceSet` (projection ManSuppInvoiceHandling); "
            "did you mean `NetCurrAmount`") in line, line


def test_connect_refuses_a_host_outside_the_region_before_writing(sandbox: Sandbox, tmp_path: Path) -> None:
    config = _tenants_file(tmp_path, "eutenant", region="eu")
    done = _run(_connect_args(sandbox, "eutenant", config, basware_url=sandbox.basware_url), **_secrets(sandbox))
    assert done.returncode == 2
    assert f"Basware host '{sandbox.basware_url}' does not belong to region 'eu'" in done.stderr
    checked = _run(["check", "--tenant", "eutenant", "--config", str(config)])
    assert checked.returncode == 1
    assert "does not exist" in checked.stdout


def test_check_fails_clearly_with_a_revoked_secret(sandbox: Sandbox, tmp_path: Path) -> None:
    config = _tenants_file(tmp_path, "badsecret")
    secrets = {**_secrets(sandbox), "MLC_IFS_CLIENT_SECRET": "not-the-right-secret-42"}
    done = _run(_connect_args(sandbox, "badsecret", config), **secrets)
    assert done.returncode == 1
    assert "PASS Basware" in done.stdout
    assert "FAIL IFS Cloud" in done.stdout
    assert "not-the-right-secret-42" not in done.stdout + done.stderr


def test_unknown_tenant_and_missing_secret_are_config_errors(sandbox: Sandbox, tmp_path: Path) -> None:
    config = _tenants_file(tmp_path, "acme")
    done = _run(["check", "--tenant", "nobody", "--config", str(config)])
    assert done.returncode == 2 and "no tenant 'nobody'" in done.stderr
    env = dict.fromkeys(("MLC_BASWARE_CLIENT_SECRET", "MLC_IFS_CLIENT_SECRET"), "")
    done = _run(_connect_args(sandbox, "acme", config), **env)
    assert done.returncode == 2 and "MLC_BASWARE_CLIENT_SECRET" in done.stderr


def test_connect_checks_what_it_stores_and_says_when_an_environment_variable_shadows_it(
        sandbox: Sandbox, tmp_path: Path) -> None:
    """Regression: with AIRFLOW_CONN_* set, connect stored a new (here wrong) secret but pinged the
    environment's connection, printed PASS and exited 0."""
    import json

    config = _tenants_file(tmp_path, "shadow")
    creds = sandbox.credentials()["basware"]
    good = json.dumps({"conn_type": "basware", "host": sandbox.basware_url, "login": creds["client_id"],
                       "password": creds["client_secret"], "extra": {"region": "sandbox"}})
    wrong = "not-the-basware-secret-" + "x" * 12
    done = _run(_connect_args(sandbox, "shadow", config),
                **{**_secrets(sandbox), "MLC_BASWARE_CLIENT_SECRET": wrong, "AIRFLOW_CONN_MLC_SHADOW_BASWARE": good})
    out = done.stdout + done.stderr
    assert done.returncode == 1, out
    assert "FAIL Basware" in out  # the stored (wrong) secret was tested, not the environment's
    assert "FAIL connection mlc_shadow_basware" in out and "$AIRFLOW_CONN_MLC_SHADOW_BASWARE" in out
    assert "connection mlc_shadow_ifs" not in out  # nothing shadows the IFS connection
    assert wrong not in out and creds["client_secret"] not in out


def test_a_malformed_connection_variable_is_named_malformed_not_missing(tmp_path: Path) -> None:
    config = _tenants_file(tmp_path, "broken")
    secretish = "s3cr3t-in-a-broken-variable"
    done = _run(["check", "--tenant", "broken", "--config", str(config)],
                AIRFLOW_CONN_MLC_BROKEN_BASWARE='{"conn_type": "basware", "password": "' + secretish + '", ')
    out = done.stdout + done.stderr
    assert done.returncode == 1, out
    basware_line = next(line for line in done.stdout.splitlines() if line.startswith("FAIL Basware"))
    assert "$AIRFLOW_CONN_MLC_BROKEN_BASWARE is set but malformed" in basware_line, out
    assert "does not exist" not in basware_line
    assert secretish not in out


def test_a_shadow_with_the_same_secret_but_other_extras_is_named_too(sandbox: Sandbox, tmp_path: Path) -> None:
    """An AIRFLOW_CONN_* with the stored host, client and secret but another realm is still not what
    `connect` stored: tasks would use its realm."""
    import json

    config = _tenants_file(tmp_path, "shadowx")
    creds = sandbox.credentials()["ifs"]
    other_realm = json.dumps({"conn_type": "ifscloud", "host": sandbox.ifs_url, "login": creds["client_id"],
                              "password": creds["client_secret"], "extra": {"realm": "not-" + creds["realm"]}})
    done = _run(_connect_args(sandbox, "shadowx", config),
                **{**_secrets(sandbox), "AIRFLOW_CONN_MLC_SHADOWX_IFS": other_realm})
    out = done.stdout + done.stderr
    assert done.returncode == 1, out
    assert "FAIL connection mlc_shadowx_ifs" in out and "$AIRFLOW_CONN_MLC_SHADOWX_IFS" in out
    assert "connection mlc_shadowx_basware" not in out
    assert creds["client_secret"] not in out
