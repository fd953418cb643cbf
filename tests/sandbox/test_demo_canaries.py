"""The demo run with secret values the test chooses (both client secrets) and the access tokens the
simulators issued to it: none appears in task logs, XCom or any other table of the Airflow metadata DB
(connections hold the client secrets Fernet-encrypted only), any table of the state store, the staging
files or the demo's output."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import sqlalchemy as sa
from cryptography.fernet import Fernet

from canaries import chosen_secrets, scan_for_canaries, token_canaries


def test_no_secret_of_the_demo_is_left_anywhere(tmp_path: Path) -> None:
    home = tmp_path / "airflow"
    chosen, env = chosen_secrets(tmp_path)
    command = ["demo", "--json", "--invoices", "12", "--home", str(home)]
    done = subprocess.run([sys.executable, "-m", "ml_connector.cli", *command], capture_output=True,
                          text=True, env={**os.environ, **env}, timeout=400, stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert json.loads(done.stdout)["ok"] is True
    tokens = token_canaries(tmp_path)
    assert len(tokens) >= 4, "both simulators must have issued tokens (an access token and its signature each)"
    fernet = (home / "fernet.key").read_text().strip()
    # The demo's connections hold exactly the chosen secrets, and only encrypted.
    assert stored_passwords(home / "airflow.db", fernet) == {"mlc_demo_basware": chosen["basware"],
                                                            "mlc_demo_ifs": chosen["ifs"]}
    canaries = [chosen["basware"], chosen["ifs"], fernet, *tokens]
    found = scan_for_canaries(
        canaries, paths=[home], skip=[home / "fernet.key", home / "airflow.cfg"],
        db_urls=[f"sqlite:///{home / 'airflow.db'}", f"sqlite:///{home / 'ml_connector_state.db'}"],
        texts={"demo stdout": done.stdout, "demo stderr": done.stderr})
    # The scan does find what is there (a connection id, stored beside the encrypted secret).
    assert scan_for_canaries(["mlc_demo_basware"], db_urls=[f"sqlite:///{home / 'airflow.db'}"]) != []
    # The databases are files in the home too: the file scan covers their raw pages, the DB scan each value.
    assert found == []


def stored_passwords(airflow_db: Path, fernet_key: str) -> dict[str, str]:
    engine = sa.create_engine(f"sqlite:///{airflow_db}")
    try:
        with engine.connect() as conn:
            rows = conn.execute(sa.text("SELECT conn_id, password, is_encrypted FROM connection "
                                        "WHERE conn_id LIKE 'mlc_demo_%'")).all()
    finally:
        engine.dispose()
    assert rows and all(r.is_encrypted for r in rows), rows
    return {r.conn_id: Fernet(fernet_key.encode()).decrypt(r.password.encode()).decode() for r in rows}
