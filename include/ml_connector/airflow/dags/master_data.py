"""The master-data DAG of one tenant (`mlc_<tenant>_master_data`):

    gaps (Basware codes missing in IFS; created there where allowed) ─► push (IFS values → Basware)

Runs on the tenant's own `master_data.schedule`, on demand, and backfills like the invoice DAG. A run
reads the values IFS modified (or that closed by date) since each code part's watermark; the param
`full_read` (and any backfill run) reads every value, and the content hashes still send only the delta.
"""

from __future__ import annotations

import logging
from collections import Counter
from typing import Any

from airflow.sdk import DAG, Param, get_current_context, task

from ml_connector.airflow.dags.common import runs_asset, tenant_dag
from ml_connector.airflow.runtime import TenantRuntime
from ml_connector.config import TenantConfig

# The sync code is imported inside the tasks: a worker parses the DAG file before every task.

OPERATOR_GUIDE = """\
### IFS GL accounts and code parts ↔ Basware master data (tenant `{tenant}`)

**Runs**: every `{schedule}`, on demand, or backfilled. `gaps` lists the Basware codes (in waiting
invoices and lists) that IFS does not know{create}; `push` sends the IFS accounts and mapped code parts
that changed since the last run to Basware (closed values as inactive, never deleted). It reads only
what IFS modified since the last run; trigger with `full_read: true` to compare every value again.

**Records Basware refused** are quarantined with Basware's reason (`ml-connector quarantine list
--tenant {tenant}`) and sent again by the next run. `ml-connector gaps --tenant {tenant}` shows the gaps.
"""


log = logging.getLogger(__name__)


class MasterDataRejected(RuntimeError):
    """Basware refused some records: the run fails so the alert fires; they are sent again next run."""


def master_data_dag_id(tenant_id: str) -> str:
    return f"mlc_{tenant_id}_master_data"


def build_master_data_dag(tenant: TenantConfig, regions: dict[str, str], *, retries: int = 2) -> DAG:
    runtime = TenantRuntime(tenant, regions)
    create = " and creates them in IFS" if tenant.master_data.create_missing_in_ifs else ""
    with tenant_dag(
        tenant, dag_id=master_data_dag_id(tenant.tenant_id), kind="master-data",
        description="IFS GL accounts and code parts <-> Basware master data", schedule=tenant.master_data.schedule,
        retries=retries,
        params={"full_read": Param(False, type="boolean",
                                   description="read every IFS value, not only those modified since the last run")},
        doc_md=OPERATOR_GUIDE.format(tenant=tenant.tenant_id, schedule=tenant.master_data.schedule,
                                     create=create),
    ) as dag:
        gaps_task(runtime)() >> push_task(runtime)()
    return dag


def gaps_task(runtime: TenantRuntime) -> Any:
    @task(task_id="gaps")
    def gaps() -> dict[str, Any]:
        from ml_connector.sync.gaps import create_missing, find_gaps, record_gaps
        from ml_connector.sync.summary import task_summary

        ctx = runtime.context(get_current_context()["run_id"])
        found = find_gaps(ctx)
        created = create_missing(ctx, found)
        record_gaps(ctx, found, created)
        by_company = Counter(g.company for g in found)
        log.info("%s", task_summary(ctx.tenant_id, ctx.run_id, "mapping gaps", {"gaps": len(found),
                                    "created_in_ifs": len(created)}, ("gaps", "created_in_ifs"),
                                    [f"by company: {', '.join(f'{c} {n}' for c, n in sorted(by_company.items()))}"]
                                    if by_company else []))
        return {"gaps": [g.to_json() for g in found], "created_in_ifs": [g.to_json() for g in created]}
    return gaps


def push_task(runtime: TenantRuntime) -> Any:
    runs = runs_asset(runtime.tenant.tenant_id, "master_data")

    @task(task_id="push", outlets=[runs])
    def push() -> dict[str, Any]:
        from ml_connector.sync.master_data import sync_master_data

        context = get_current_context()
        ctx = runtime.context(context["run_id"])
        full = bool((context.get("params") or {}).get("full_read")) or _is_backfill(context)
        summary = sync_master_data(ctx, full=full)
        context["outlet_events"][runs].extra = {"run_id": ctx.run_id, **summary["counts"]}
        if summary["failed"]:
            raise MasterDataRejected(f"tenant {ctx.tenant_id}: Basware refused {len(summary['failed'])} "
                                     f"master-data record(s), quarantined: {', '.join(list(summary['failed'])[:5])}")
        return summary
    return push


def _is_backfill(context: Any) -> bool:
    run = context.get("dag_run")
    return "backfill" in str(getattr(run, "run_type", "") or "").lower()
