"""The demo's vendor step: the tenant's vendor DAG run after master data, and what it changed where.

Printed from what the run left behind, whatever its tasks are: each task's counts (XCom) and the audit
rows of the run, by system and action, so a new task or count shows without this file changing.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from ml_connector.config import ConnectorConfig, TenantConfig
from ml_connector.state import StateStore
from mlc_sandbox.demo.dag_runs import counts_of, run_dag, task_results

ENTITY = "vendor"
TARGET = {"basware": "IFS", "ifs": "Basware"}  # the audit names who made a change; it landed in the other


def run_vendors(config: ConnectorConfig, tenant: TenantConfig, store_url: str) -> dict[str, Any]:
    from ml_connector.airflow.dags.vendors import build_vendor_dag

    run, seconds = run_dag(build_vendor_dag(tenant, config.region_map(), retries=0))
    tasks = {task_id: counts_of(result) for task_id, result in sorted(task_results(run).items())}
    store = StateStore(store_url)
    try:
        store.migrate()
        entries = [e for e in store.audit_entries(tenant.tenant_id, ENTITY) if e.run_id == run.run_id]
    finally:
        store.dispose()
    vendors: Counter[tuple[str, str]] = Counter()
    fields: Counter[tuple[str, str]] = Counter()
    for entry in entries:
        vendors[(entry.source_system, entry.action)] += 1
        fields[(entry.source_system, entry.action)] += len(entry.changes or {})
    audit = [{"from": system, "written_to": TARGET.get(system, "?"), "action": action, "vendors": n,
              "fields": fields[(system, action)]} for (system, action), n in sorted(vendors.items())]
    return {"run_id": run.run_id, "dag_state": str(run.state), "seconds": seconds, "tasks": tasks,
            "audit": audit}


def render_vendors(result: dict[str, Any]) -> str:
    lines = [f"Vendors ({result['run_id']}): {result['dag_state']} in {result['seconds']} s"]
    for task_id, counts in result["tasks"].items():
        lines.append(f"  {task_id}: " + (", ".join(f"{k} {n}" for k, n in counts.items()) or "no counts"))
    for row in result["audit"]:
        lines.append(f"  {row['written_to']}: {row['action']} {row['vendors']} vendor(s), {row['fields']} "
                     f"field(s) (changed in {row['from']}; in the audit trail)")
    if not result["audit"]:
        lines.append("  audit trail: no vendor changed in either system")
    return "\n".join(lines)
