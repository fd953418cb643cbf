"""The demo run with known secret values: none appears in task logs, XCom or any other table of the Airflow
metadata DB, any table of the state store, the staging files or the demo's output."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from canaries import scan_for_canaries
from mlc_sandbox.basware.settings import BaswareSettings
from mlc_sandbox.ifs.settings import IfsSettings


def test_no_secret_of_the_demo_is_left_anywhere(tmp_path: Path) -> None:
    home = tmp_path / "airflow"
    command = ["demo", "--json", "--invoices", "12", "--home", str(home)]
    done = subprocess.run([sys.executable, "-m", "ml_connector.cli", *command], capture_output=True,
                          text=True, env=dict(os.environ), timeout=400, stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert json.loads(done.stdout)["ok"] is True
    fernet = (home / "fernet.key").read_text().strip()
    canaries = [BaswareSettings().client_secret, IfsSettings().client_secret, fernet]
    found = scan_for_canaries(
        canaries, paths=[home], skip=[home / "fernet.key", home / "airflow.cfg"],
        db_urls=[f"sqlite:///{home / 'airflow.db'}", f"sqlite:///{home / 'ml_connector_state.db'}"],
        texts={"demo stderr": done.stderr})
    # The scan does find what is there (a connection id, stored beside the encrypted secret).
    assert scan_for_canaries(["mlc_demo_basware"], db_urls=[f"sqlite:///{home / 'airflow.db'}"]) != []
    # The databases are files in the home too: the file scan covers their raw pages, the DB scan each value.
    assert found == []
    # And the demo's JSON output holds no Airflow secret (the sandbox's own credentials are its to show).
    assert scan_for_canaries([fernet], texts={"demo stdout": done.stdout}) == []
