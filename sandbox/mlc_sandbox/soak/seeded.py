"""Many seeded short soak runs: a fresh sandbox per seed with every fault class on, the tenant's invoice DAG
run in child processes (`dag.test()`, the same task code the scheduler runs), the child's process group
SIGKILLed at a random moment, further runs under faults, one last run with the faults off, then the
invariants.

This is the cheaper runner: no scheduler. What the scheduler adds (zombie detection, retries) is the
airflow_stack soak's part; what a killed worker leaves behind is the same here.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ml_connector.config import DEFAULT_CONFIG
from mlc_sandbox.runner import Sandbox, SandboxOptions
from mlc_sandbox.soak.faults import soak_rules
from mlc_sandbox.soak.invariants import TenantFigures, check_tenant

TENANT = "demo"
REPO = Path(__file__).resolve().parents[3]
RUNNER = """
import sys
from ml_connector.airflow.dags.invoices import build_invoice_dag
from ml_connector.config import load_config
config = load_config()
dag = build_invoice_dag(config.tenant(sys.argv[1]), config.region_map(), retries=0)
print("MLC_RUN_STATE=" + str(dag.test().state), flush=True)
"""


@dataclass
class SeededOptions:
    runs: int = 200
    first_seed: int = 1
    invoices: int = 12
    runs_under_faults: int = 2  # DAG runs per seed with faults on, the first one perhaps killed
    kill_share: float = 0.7  # share of seeds whose first run is SIGKILLed
    kill_window: tuple[float, float] = (2.0, 14.0)  # seconds after start
    child_timeout: float = 300.0
    workdir: Path = Path("soak-work")


@dataclass
class SeededFigures:
    runs: int = 0
    dag_runs: int = 0
    kills: int = 0
    invoices: int = 0
    proposals: int = 0
    quarantined: int = 0
    faults_fired: Counter[str] = field(default_factory=Counter)
    breaches: list[tuple[int, str]] = field(default_factory=list)
    seconds: float = 0.0

    def add(self, seed: int, figures: TenantFigures, fired: Counter[str]) -> None:
        self.runs += 1
        self.invoices += figures.invoices
        self.proposals += figures.proposals
        self.quarantined += figures.quarantined
        self.faults_fired.update(fired)
        self.breaches.extend((seed, str(b)) for b in figures.breaches)

    def summary(self) -> dict[str, Any]:
        return {"runs": self.runs, "dag_runs": self.dag_runs, "kills": self.kills, "invoices": self.invoices,
                "proposals": self.proposals, "quarantined": self.quarantined,
                "faults_fired": dict(sorted(self.faults_fired.items())), "breaches": len(self.breaches),
                "seconds": round(self.seconds, 1)}


def airflow_env(home: Path) -> dict[str, str]:
    """An Airflow home of the soak's own with a SQLite metadata DB, migrated once."""
    home.mkdir(parents=True, exist_ok=True)
    env = {"AIRFLOW_HOME": str(home), "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
           "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
           "AIRFLOW__CORE__DAGS_FOLDER": os.environ.get("ML_CONNECTOR_DAGS_FOLDER", str(REPO / "dags")),
           "AIRFLOW__CORE__PLUGINS_FOLDER": str(REPO / "plugins"),
           "ML_CONNECTOR_TENANTS": str(DEFAULT_CONFIG)}
    done = subprocess.run([sys.executable, "-m", "airflow", "db", "migrate"], env={**os.environ, **env},
                          capture_output=True, text=True, timeout=600, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"airflow db migrate failed:\n{done.stderr[-3000:]}")
    return env


def tenant_env(sandbox: Sandbox, run_dir: Path, tenant: str = TENANT) -> tuple[dict[str, str], str]:
    """The tenant's connections as AIRFLOW_CONN_* (SQLite state store in `run_dir`), and the store's URL."""
    creds, prefix = sandbox.credentials(), f"AIRFLOW_CONN_MLC_{tenant.upper()}"
    state = run_dir / "state.db"
    env = {
        f"{prefix}_BASWARE": json.dumps({"conn_type": "basware", "host": sandbox.basware_url,
                                         "login": creds["basware"]["client_id"],
                                         "password": creds["basware"]["client_secret"],
                                         "extra": {"region": "sandbox"}}),
        f"{prefix}_IFS": json.dumps({"conn_type": "ifs_cloud", "host": sandbox.ifs_url,
                                     "login": creds["ifs"]["client_id"], "password": creds["ifs"]["client_secret"],
                                     "extra": {"realm": creds["ifs"]["realm"]}}),
        "AIRFLOW_CONN_ML_CONNECTOR_STATE": json.dumps({"conn_type": "sqlite", "host": str(state)}),
        "ML_CONNECTOR_STAGING": str(run_dir / "staging"),
    }
    return env, f"sqlite:///{state}"


def _dag_run(env: dict[str, str], log: Path, kill_after: float | None, timeout: float) -> bool:
    """One DAG run in its own process group; True if it was SIGKILLed."""
    with log.open("ab") as out:
        proc = subprocess.Popen([sys.executable, "-c", RUNNER, TENANT], env={**os.environ, **env}, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True, cwd=log.parent)
    try:
        proc.wait(timeout=kill_after if kill_after is not None else timeout)
        return False
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        return True


def _settle(sandbox: Sandbox) -> None:
    """Faults off, and wait until held requests are answered, so nothing lands during the checks."""
    sandbox.injector.clear()
    deadline = time.monotonic() + 30
    while sandbox.injector.holding and time.monotonic() < deadline:
        time.sleep(0.05)


def one_seed(seed: int, opts: SeededOptions, base_env: dict[str, str], figures: SeededFigures) -> TenantFigures:
    rng = random.Random(f"soak:{seed}")
    run_dir = opts.workdir / f"seed-{seed:04d}"
    run_dir.mkdir(parents=True, exist_ok=True)
    log = run_dir / "runs.log"
    with Sandbox(SandboxOptions(seed=seed, invoices=opts.invoices, suppliers=40, faults="chaos")) as sandbox:
        sandbox.injector.clear()
        for rule in soak_rules():
            sandbox.injector.add(rule)
        env, store_url = tenant_env(sandbox, run_dir)
        env = {**base_env, **env}
        for attempt in range(opts.runs_under_faults):
            kill = attempt == 0 and rng.random() < opts.kill_share
            kill_after = rng.uniform(*opts.kill_window) if kill else None
            figures.kills += _dag_run(env, log, kill_after, opts.child_timeout)
            figures.dag_runs += 1
        fired = Counter(str(e["kind"]) for e in sandbox.injector.log)
        _settle(sandbox)
        _dag_run(env, log, None, opts.child_timeout)  # the clean run that must finish everything
        figures.dag_runs += 1
        result = check_tenant(TENANT, sandbox, store_url)
        sandbox.basware.close()
    figures.add(seed, result, fired)
    return result


def run_seeded(opts: SeededOptions, progress: Any = print) -> SeededFigures:
    figures, started = SeededFigures(), time.monotonic()
    base_env = airflow_env(opts.workdir / "airflow-home")
    for seed in range(opts.first_seed, opts.first_seed + opts.runs):
        result = one_seed(seed, opts, base_env, figures)
        figures.seconds = time.monotonic() - started
        progress(f"seed {seed}: {result.invoices} invoices, {result.proposals} proposals, "
                 f"{result.quarantined} quarantined, {len(result.breaches)} breaches "
                 f"[{figures.runs} runs, {figures.kills} kills, {figures.seconds:.0f} s]")
        for breach in result.breaches:
            progress(f"  seed {seed} {breach}")
    return figures
