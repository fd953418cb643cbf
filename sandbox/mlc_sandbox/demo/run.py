"""Runs the demo: sandbox, embedded Airflow, the master-data DAG, the vendor DAG, the invoice DAG twice, and
what each changed in each system."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ml_connector.airflow.state import STATE_CONN_ID
from ml_connector.cli.stdio import output_to_file
from ml_connector.config import DEFAULT_CONFIG, ConnectorConfig, TenantConfig, load_config
from ml_connector.state import StateStore
from mlc_sandbox.demo import DEMO_HOME
from mlc_sandbox.demo.home import DemoHome, register_connections
from mlc_sandbox.demo.master_data import render_master_data, run_master_data
from mlc_sandbox.demo.summary import build_summary, render_summary
from mlc_sandbox.demo.vendors import render_vendors, run_vendors
from mlc_sandbox.runner import Sandbox, SandboxOptions

DEMO_TENANT = "demo"
FAULTS = "invalid-data"  # about one document in ten is invalid, so quarantine has something to show


@dataclass(frozen=True)
class DemoOptions:
    json_output: bool = False
    invoices: int = 200
    seed: int = 42
    home: str = DEMO_HOME
    keep_state: bool = False


def run_demo(options: DemoOptions) -> int:
    started = time.perf_counter()
    home = DemoHome(Path(options.home).resolve())
    config = load_config(DEFAULT_CONFIG)  # the bundled demo tenant, whatever $ML_CONNECTOR_TENANTS says
    tenant = config.tenant(DEMO_TENANT)
    home.configure_airflow((tenant.basware_conn_id, tenant.ifs_conn_id, STATE_CONN_ID))
    if not options.keep_state:
        home.reset_state()
    home.migrate_metadata_db()
    sandbox_options = SandboxOptions(seed=options.seed, invoices=options.invoices, faults=FAULTS)
    # Airflow's and the simulators' log lines go to the home's log file; the summary is the output.
    with output_to_file(home.log_file), Sandbox(sandbox_options) as sandbox:
        checks = register_connections(config, tenant, sandbox, home)
        setup = time.perf_counter() - started
        connected = all(c.ok for c in checks)
        store_url = f"sqlite:///{home.state_db}"
        # Master data and vendors first, so the invoices find valid codes and suppliers.
        master = run_master_data(config, tenant, store_url) if connected else None
        vendors = run_vendors(config, tenant, store_url) if connected else None
        runs = [_run_dag(config, tenant) for _ in range(2)] if connected else []
        store = StateStore(f"sqlite:///{home.state_db}")
        try:
            store.migrate()
            summary = build_summary(store=store, tenant=tenant, sandbox=sandbox, checks=checks, runs=runs)
        finally:
            store.dispose()
    summary["airflow_home"] = str(home.root)
    summary["log"] = str(home.log_file)
    summary["seconds"] = {"setup": round(setup, 1), "total": round(time.perf_counter() - started, 1)}
    summary["master_data"] = master
    summary["vendors"] = vendors
    if not options.json_output:
        for step, render in ((master, render_master_data), (vendors, render_vendors)):
            if step is not None:
                print(render(step) + "\n")
    print(json.dumps(summary, indent=2) if options.json_output else render_summary(summary))
    steps_ok = all(step is None or step["dag_state"] == "success" for step in (master, vendors))
    return 0 if summary["ok"] and steps_ok else 1


def _run_dag(config: ConnectorConfig, tenant: TenantConfig) -> dict[str, Any]:
    from ml_connector.airflow.dags.invoices import build_invoice_dag

    # No task retries: dag.test() would sit out each retry delay; a failure should show at once.
    dag = build_invoice_dag(tenant, config.region_map(), retries=0)
    started = time.perf_counter()
    run = dag.test()
    seconds = round(time.perf_counter() - started, 1)
    return {"run_id": run.run_id, "dag_state": str(run.state), "seconds": seconds}
