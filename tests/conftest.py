"""Test-wide setup: an isolated Airflow home per test worker, set before anything imports Airflow."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def _airflow_environment() -> None:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    home = Path(tempfile.gettempdir()) / f"mlc-tests-{os.getpid() if worker == 'main' else worker}-airflow"
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
    for key, value in defaults.items():
        os.environ.setdefault(key, value)


_airflow_environment()


import pytest  # noqa: E402  (after the environment is set)


@pytest.fixture(scope="module")
def sandbox():  # type: ignore[no-untyped-def]
    """Both simulators with the default seed on free localhost ports, for one test module."""
    from ml_connector.sandbox.runner import Sandbox, SandboxOptions

    with Sandbox(SandboxOptions(invoices=60, suppliers=80)) as running:
        yield running


@pytest.fixture(scope="session")
def airflow_db() -> str:
    """This worker's Airflow metadata DB (SQLite), migrated once per test session."""
    import subprocess
    import sys

    subprocess.run([sys.executable, "-m", "airflow", "db", "migrate"], check=True, capture_output=True,
                   env=os.environ.copy(), timeout=300)
    return os.environ["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]
