"""The vendor DAG of one tenant (`mlc_<tenant>_vendors`): Basware vendors -> IFS suppliers.

    basware_to_ifs   match by vendorCode = supplier number, create missing suppliers, update changed fields

Its own schedule (`vendors.schedule`), runnable on demand, backfillable (a backfill run re-reads the
vendors Basware changed in its data interval), and alerting like the invoice DAG.
"""

from __future__ import annotations

from typing import Any

from airflow.sdk import DAG, get_current_context, task

from ml_connector.airflow.dags.common import run_window, tenant_dag, window_params
from ml_connector.airflow.runtime import TenantRuntime
from ml_connector.config import TenantConfig

# The sync code is imported inside the task: a worker parses the DAG file before every task.

OPERATOR_GUIDE = """\
### Basware vendors → IFS suppliers (tenant `{tenant}`)

Basware vendors are matched to IFS suppliers by vendor code = supplier number. A vendor IFS does not
know is created as a supplier; changed fields update the supplier (with its ETag). Every change is in
the audit trail: `ml-connector audit --tenant {tenant} --vendor CODE`. A vendor that cannot be synced is
quarantined: `ml-connector quarantine list --tenant {tenant}`.

**Runs**: every `{schedule}`; each run reads the vendors Basware changed since the last one.
**Params**: `window_start` (ISO date-time) re-reads the vendors changed since then.
"""


def vendor_dag_id(tenant_id: str) -> str:
    return f"mlc_{tenant_id}_vendors"


def build_vendor_dag(tenant: TenantConfig, regions: dict[str, str], *, retries: int = 2) -> DAG:
    runtime = TenantRuntime(tenant, regions)
    with tenant_dag(
        tenant, dag_id=vendor_dag_id(tenant.tenant_id), kind="vendors",
        description="Basware vendors <-> IFS suppliers", schedule=tenant.vendors.schedule, retries=retries,
        params=window_params("the vendors changed since window_start"),
        doc_md=OPERATOR_GUIDE.format(tenant=tenant.tenant_id, schedule=tenant.vendors.schedule),
    ) as dag:
        basware_to_ifs_task(runtime)()
    return dag


def basware_to_ifs_task(runtime: TenantRuntime) -> Any:
    @task(task_id="basware_to_ifs")
    def basware_to_ifs() -> dict[str, Any]:
        from ml_connector.sync import vendors

        context = get_current_context()
        window = run_window(context)
        return vendors.sync_basware_to_ifs(runtime.context(context["run_id"]),
                                           since=window[0] if window else None)
    return basware_to_ifs
