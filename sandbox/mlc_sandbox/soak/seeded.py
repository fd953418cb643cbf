"""Many seeded short soak runs: a fresh sandbox and state store per seed with every fault class on, the
tenant's invoice DAG run by the soak's DAG worker (`dag.test()` in a child forked from one process that
imported Airflow once: the same task code the scheduler runs), that child SIGKILLed at a random moment,
further runs under faults, one last run with the faults off, then the invariants.

This is the cheaper runner: no scheduler. What the scheduler adds (zombie detection, retries) is the
scheduler soak's part (soak.scheduled); what a killed worker leaves behind is the same here.
"""

from __future__ import annotations

import json
import os
import random
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
from mlc_sandbox.soak.worker import DagWorker

TENANT = "demo"
REPO = Path(__file__).resolve().parents[3]


@dataclass
class SeededOptions:
    runs: int = 200
    first_seed: int = 1
    invoices: int = 12
    runs_under_faults: int = 2  # DAG runs per seed with faults on, the first one perhaps killed
    kill_share: float = 0.7  # share of seeds whose first run is SIGKILLed
    fault_scale: float = 0.35  # times every fault rate of soak_rules()
    kill_window: tuple[float, float] = (0.5, 8.0)  # seconds after the run's start
    child_timeout: float = 300.0
    # Tests of the check itself: after this seed's last run one transferred invoice is set back to waiting
    # in Basware, so the check must fail and name it.
    inject_breach_seed: int | None = None
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


def _settle(sandbox: Sandbox) -> None:
    """Faults off, and wait until held requests are answered, so nothing lands during the checks."""
    sandbox.injector.clear()
    deadline = time.monotonic() + 30
    while sandbox.injector.holding and time.monotonic() < deadline:
        time.sleep(0.05)


def one_seed(seed: int, opts: SeededOptions, worker: DagWorker, figures: SeededFigures,
             progress: Any = print) -> TenantFigures:
    rng = random.Random(f"soak:{seed}")
    run_dir = opts.workdir / f"seed-{seed:04d}"
    run_dir.mkdir(parents=True, exist_ok=True)
    log = run_dir / "runs.log"

    def dag_run(kill_after: float | None) -> None:
        figures.kills += worker.run(TENANT, env, log, kill_after, opts.child_timeout)
        figures.dag_runs += 1

    with Sandbox(SandboxOptions(seed=seed, invoices=opts.invoices, suppliers=40, faults="chaos")) as sandbox:
        sandbox.injector.clear()
        for rule in soak_rules(opts.fault_scale):
            sandbox.injector.add(rule)
        env, store_url = tenant_env(sandbox, run_dir)
        for attempt in range(opts.runs_under_faults):
            kill = attempt == 0 and rng.random() < opts.kill_share
            dag_run(rng.uniform(*opts.kill_window) if kill else None)
        fired = Counter(str(e["kind"]) for e in sandbox.injector.log)
        _settle(sandbox)
        dag_run(None)  # the clean run that must finish everything
        if seed == opts.inject_breach_seed:
            victim = sorted(sandbox.ifs.proposal_counts())[0]
            sandbox.basware.set_document_status(victim, "WaitingForTransfer")
            progress(f"  seed {seed}: breach injected, {victim} set back to WaitingForTransfer")
        result = check_tenant(TENANT, sandbox, store_url)
        sandbox.basware.close()
    figures.add(seed, result, fired)
    return result


def run_seeded(opts: SeededOptions, progress: Any = print) -> SeededFigures:
    figures, started = SeededFigures(), time.monotonic()
    base_env = airflow_env(opts.workdir / "airflow-home")
    worker = DagWorker(base_env, opts.workdir / "worker.log")
    try:
        for seed in range(opts.first_seed, opts.first_seed + opts.runs):
            result = one_seed(seed, opts, worker, figures, progress)
            figures.seconds = time.monotonic() - started
            progress(f"seed {seed}: {result.invoices} invoices, {result.proposals} proposals, "
                     f"{result.quarantined} quarantined, tokens {result.tokens_used}, {len(result.breaches)} breaches "
                     f"[{figures.runs} runs, {figures.kills} kills, {figures.seconds:.0f} s]")
            for breach in result.breaches:
                progress(f"  seed {seed} {breach}")
            # After every seed, so a run stopped early still leaves its figures.
            summary = {**figures.summary(), "last_seed": seed, "breach_list": figures.breaches}
            (opts.workdir / "summary.json").write_text(json.dumps(summary, indent=2))
    finally:
        worker.close()
    return figures
