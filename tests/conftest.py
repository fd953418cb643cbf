"""Test-wide setup: an isolated Airflow home per test worker, set before anything imports Airflow."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def _airflow_environment() -> None:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    # Per test run too: two pytest -n 2 sessions on one machine must not share gw0's metadata DB.
    run = os.environ.get("PYTEST_XDIST_TESTRUNUID", "")[:8]
    name = str(os.getpid()) if worker == "main" else f"{run}-{worker}"
    home = Path(tempfile.gettempdir()) / f"mlc-tests-{name}-airflow"
    home.mkdir(parents=True, exist_ok=True)
    defaults = {
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__DAGS_FOLDER": str(REPO / "dags"),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(REPO / "plugins"),
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
        "AIRFLOW__CORE__TEST_CONNECTION": "Enabled",
        # A fixed test-only key: connection secrets are Fernet-encrypted in the metadata DB as in production.
        "AIRFLOW__CORE__FERNET_KEY": "n1qmZ7bgmVJ5jR2W8x9nM0W4hT0o0gQ1lJY6m9x1bJk=",
    }
    # The xdist controller ran this too, and its workers inherit its environment: what it set here is
    # replaced (each worker its own home and metadata DB); what the user set is kept.
    ours = set(filter(None, os.environ.get(_SET_BY_US, "").split(",")))
    mine = []
    for key, value in defaults.items():
        if key in ours or key not in os.environ:
            os.environ[key] = value
            mine.append(key)
    os.environ[_SET_BY_US] = ",".join(mine)


_SET_BY_US = "MLC_TESTS_AIRFLOW_DEFAULTS"
_airflow_environment()


import pytest  # noqa: E402  (after the environment is set)


@pytest.fixture(scope="module")
def sandbox():  # type: ignore[no-untyped-def]
    """Both simulators with the default seed on free localhost ports, for one test module."""
    from mlc_sandbox.runner import Sandbox, SandboxOptions

    with Sandbox(SandboxOptions(invoices=60, suppliers=80)) as running:
        yield running


@pytest.fixture(scope="session")
def airflow_db() -> str:
    """This worker's Airflow metadata DB (SQLite), migrated once per test session."""
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "airflow", "db", "migrate"], check=False, capture_output=True,
                          text=True, env=os.environ.copy(), timeout=300)
    assert done.returncode == 0, f"airflow db migrate failed:\n{done.stderr[-4000:]}"
    return os.environ["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]
