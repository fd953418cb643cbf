"""The demo's master-data step: the tenant's master-data DAG run before the invoices, and what it changed."""

from __future__ import annotations

import time
from typing import Any

from ml_connector.cli.tables import render
from ml_connector.config import ConnectorConfig, TenantConfig
from ml_connector.state import StateStore
from mlc_sandbox.runner import Sandbox


def run_master_data(config: ConnectorConfig, tenant: TenantConfig, store_url: str) -> dict[str, Any]:
    """One master-data DAG run; the records it sent to Basware (by target) and what it created in IFS."""
    from ml_connector.airflow.dags.master_data import build_master_data_dag

    dag = build_master_data_dag(tenant, config.region_map(), retries=0)
    started = time.perf_counter()
    run = dag.test()
    seconds = round(time.perf_counter() - started, 1)
    store = StateStore(store_url)
    try:
        store.migrate()
        sent = store.master_data_sent_by(tenant.tenant_id, run.run_id)
        refused = len(store.list_open(tenant.tenant_id, "master_data"))
    finally:
        store.dispose()
    return {"run_id": run.run_id, "dag_state": str(run.state), "seconds": seconds,
            "basware_sent": dict(sorted(sent.items())), "basware_refused": refused}


def ifs_values(sandbox: Sandbox) -> int:
    """Code-part values IFS holds now; minus the seed's, what the connector created there."""
    return sum(len(sandbox.ifs.db.store(t.entity_set).rows) for t in sandbox.ifs.schema.code_values.values())


def render_master_data(result: dict[str, Any]) -> str:
    rows = [(target, n) for target, n in result["basware_sent"].items()] or [("(nothing)", 0)]
    return "\n".join([
        f"Master data run {result['run_id']}: {result['dag_state']} in {result['seconds']}s",
        "  Basware (records sent because they changed in IFS):",
        render(("TARGET", "RECORDS"), rows, indent="    ", right=(1,)),
        f"  Basware refused (quarantined, sent again next run): {result['basware_refused']}",
        f"  IFS (code values created from Basware gaps): {result.get('ifs_created', 0)}",
    ])
