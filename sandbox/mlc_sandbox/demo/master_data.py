"""The demo's master-data step: the tenant's master-data DAG run first, and what it changed where."""

from __future__ import annotations

from typing import Any

from ml_connector.config import ConnectorConfig, TenantConfig
from ml_connector.state import StateStore
from mlc_sandbox.demo.dag_runs import run_dag, task_results

LABELS = {"accounts": "accounts", "costCenters": "cost centers"}  # lists keep their key (ACC_LIST_n)


def run_master_data(config: ConnectorConfig, tenant: TenantConfig, store_url: str) -> dict[str, Any]:
    """One master-data DAG run: records sent to Basware by target (the state store's hashes of this
    run), deactivated, refused, and the code values created in IFS (the tasks' results)."""
    from ml_connector.airflow.dags.master_data import build_master_data_dag

    run, seconds = run_dag(build_master_data_dag(tenant, config.region_map(), retries=0))
    results = task_results(run)
    push, gaps = results.get("push") or {}, results.get("gaps") or {}
    store = StateStore(store_url)
    try:
        store.migrate()
        sent = store.master_data_sent_by(tenant.tenant_id, run.run_id)
        refused = len(store.list_open(tenant.tenant_id, "master_data"))
    finally:
        store.dispose()
    return {"run_id": run.run_id, "dag_state": str(run.state), "seconds": seconds,
            "basware_sent": dict(sorted(sent.items())),
            "basware_deactivated": int((push.get("counts") or {}).get("deactivated", 0)),
            "basware_refused": refused, "gaps": len(gaps.get("gaps") or ()),
            "ifs_created": len(gaps.get("created_in_ifs") or ()),
            "ifs_creation_allowed": tenant.master_data.create_missing_in_ifs}


def render_master_data(result: dict[str, Any]) -> str:
    sent = ", ".join(f"{LABELS.get(t, t)} +{n}" for t, n in result["basware_sent"].items()) or "nothing changed"
    created = f"IFS code values created {result['ifs_created']}"
    if not result["ifs_creation_allowed"]:
        created += " (creating them is off for this tenant)"
    return "\n".join([
        f"Master data ({result['run_id']}): {result['dag_state']} in {result['seconds']} s",
        f"  Basware: {sent}; deactivated {result['basware_deactivated']}; "
        f"refused {result['basware_refused']} (quarantined, sent again next run)",
        f"  IFS: mapping gaps {result['gaps']}; {created}",
    ])
