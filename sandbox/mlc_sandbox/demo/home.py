"""The demo's embedded Airflow home: environment, Fernet key, metadata DB, DAG file and connections.

Airflow reads its configuration when it is first imported, so `configure_airflow` must run before
anything in this process imports Airflow.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from ml_connector.airflow.state import STATE_CONN_ID
from ml_connector.config import ConnectorConfig, TenantConfig
from ml_connector.connection_check import CheckResult
from mlc_sandbox.runner import Sandbox

DAG_FILE = '''"""The demo tenant's DAGs, from the tenants file bundled with ml-connector."""

from ml_connector.airflow.dag_factory import register_tenant_dags
from ml_connector.config import DEFAULT_CONFIG, load_config

register_tenant_dags(globals(), load_config(DEFAULT_CONFIG))
'''


@dataclass(frozen=True)
class DemoHome:
    root: Path

    @property
    def metadata_url(self) -> str:
        return f"sqlite:///{self.root / 'airflow.db'}"

    @property
    def config_file(self) -> Path:
        return self.root / "airflow.cfg"

    @property
    def state_db(self) -> Path:
        return self.root / "ml_connector_state.db"

    @property
    def staging(self) -> Path:
        return self.root / "staging"

    @property
    def log_file(self) -> Path:
        return self.root / "logs" / "demo.log"

    def fernet_key(self) -> str:
        """Generated on first use and kept beside the metadata DB it encrypts (never in the repository)."""
        path = self.root / "fernet.key"
        if not path.exists():
            from cryptography.fernet import Fernet

            path.touch(mode=0o600)
            path.write_text(Fernet.generate_key().decode(), encoding="ascii")
        return path.read_text(encoding="ascii").strip()

    def configure_airflow(self, conn_ids: tuple[str, ...]) -> None:
        """Point this process (and its children) at the demo home; AIRFLOW_CONN_* variables for the
        demo's own connections are dropped, or they would win over the ones stored in the DB."""
        if "airflow" in sys.modules:
            raise RuntimeError("Airflow was imported before the demo could point it at its home")
        dags = self.root / "dags"
        dags.mkdir(parents=True, exist_ok=True)
        self.log_file.parent.mkdir(parents=True, exist_ok=True)
        (dags / "ml_connector_demo.py").write_text(DAG_FILE, encoding="utf-8")
        settings = {"core": {"dags_folder": str(dags), "load_examples": "False",
                             "fernet_key": self.fernet_key()},
                    "database": {"sql_alchemy_conn": self.metadata_url},
                    "logging": {"base_log_folder": str(self.log_file.parent)}}
        self._write_config(settings)
        for conn_id in conn_ids:
            os.environ.pop(f"AIRFLOW_CONN_{conn_id.upper()}", None)
        # The same settings as variables too: they beat any AIRFLOW__* the caller's environment has.
        os.environ.update({f"AIRFLOW__{section.upper()}__{key.upper()}": value
                           for section, values in settings.items() for key, value in values.items()})
        os.environ.update({"AIRFLOW_HOME": str(self.root), "AIRFLOW_CONFIG": str(self.config_file),
                           "ML_CONNECTOR_STAGING": str(self.staging)})

    def _write_config(self, settings: dict[str, dict[str, str]]) -> None:
        """airflow.cfg of the home, so `AIRFLOW_HOME=<home> ml-connector quarantine list` works afterwards.
        It holds the Fernet key: readable by the owner only."""
        text = "".join(f"[{section}]\n" + "".join(f"{k} = {v}\n" for k, v in values.items()) + "\n"
                       for section, values in settings.items())
        self.config_file.touch(mode=0o600)
        self.config_file.chmod(0o600)
        self.config_file.write_text(text, encoding="utf-8")

    def reset_state(self) -> None:
        """An empty state store and staging area: the sandbox behind them starts fresh too."""
        for suffix in ("", "-journal", "-wal", "-shm"):
            Path(f"{self.state_db}{suffix}").unlink(missing_ok=True)
        shutil.rmtree(self.staging, ignore_errors=True)

    def migrate_metadata_db(self) -> None:
        done = subprocess.run([sys.executable, "-m", "airflow", "db", "migrate"], capture_output=True,
                              text=True, env=os.environ.copy(), timeout=300, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"`airflow db migrate` failed in {self.root}:\n{done.stderr[-2000:]}")


def register_connections(config: ConnectorConfig, tenant: TenantConfig, sandbox: Sandbox,
                         home: DemoHome) -> list[CheckResult]:
    """The tenant's two API connections (as `ml-connector connect` writes them, then pinged) and the
    state store connection, all in the metadata DB."""
    from ml_connector.airflow.connect import TenantCredentials, connect_tenant, upsert_connection

    creds = sandbox.credentials()
    bw, ifs = creds["basware"], creds["ifs"]
    upsert_connection(STATE_CONN_ID, "sqlite", str(home.state_db), None, None, {},
                      "ml-connector state store of the demo")
    return connect_tenant(config, tenant, TenantCredentials(
        basware_url=bw["base_url"], basware_client_id=bw["client_id"],
        basware_client_secret=bw["client_secret"],
        ifs_url=ifs["base_url"], ifs_realm=ifs["realm"], ifs_client_id=ifs["client_id"],
        ifs_client_secret=ifs["client_secret"]))
