"""The vendor DAG of one tenant (`mlc_<tenant>_vendors`): Basware vendors <-> IFS suppliers.

    resolve_held ─► basware_to_ifs ─► ifs_to_basware

    resolve_held     only on a manual run with `resolve_vendor` (and `winner`): settles a held conflict
    basware_to_ifs   match by vendorCode = supplier number, create missing suppliers, update changed fields
    ifs_to_basware   post suppliers changed in IFS to Basware, requestStatus errors quarantined

Its own schedule (`vendors.schedule`), runnable on demand, backfillable (a backfill run re-reads the
vendors Basware changed in its data interval), and alerting like the invoice DAG.
"""

from __future__ import annotations

from typing import Any

from airflow.sdk import DAG, Param, get_current_context, task

from ml_connector.airflow.dags.common import run_window, runs_asset, tenant_dag, window_params
from ml_connector.airflow.runtime import TenantRuntime
from ml_connector.config import TenantConfig

# The sync code is imported inside the tasks: a worker parses the DAG file before every task.

# The winners a held conflict can be resolved to (sync.vendor_replay.WINNERS, which a test keeps equal).
WINNERS = ("ifs", "basware")

OPERATOR_GUIDE = """\
### Basware vendors ↔ IFS suppliers (tenant `{tenant}`)

Basware vendors are matched to IFS suppliers by vendor code = supplier number. A vendor IFS does not
know is created as a supplier; changed fields update the supplier (with its ETag). Suppliers changed in
IFS are posted to Basware (created there if new). What one run wrote is not read back as a change by
the next. A vendor changed in both systems since the last sync is a conflict: policy `{policy}`. Every
change is in the audit trail: `ml-connector audit --tenant {tenant} --vendor CODE`. A vendor that
cannot be synced, that Basware refused, or a held conflict is quarantined in the state store (record
types `vendor`, `vendor_to_basware`, `vendor_conflict`, with both versions for a conflict) and the run
fails so the alert fires, with the reasons; refused ones are sent again by the next run.

**Runs**: every `{schedule}`; each run reads what each system changed since the last one.
**Params**: `window_start` (ISO date-time) re-reads the vendors changed since then; `resolve_vendor`
with `winner` (`ifs`, `basware`, or empty when both systems were made to agree by hand) settles a held
conflict first.
"""


class VendorsNeedAttention(RuntimeError):
    """Basware refused vendors or conflicts were held: the run fails so the tenant's alert fires."""


def vendor_dag_id(tenant_id: str) -> str:
    return f"mlc_{tenant_id}_vendors"


def build_vendor_dag(tenant: TenantConfig, regions: dict[str, str], *, retries: int = 2) -> DAG:
    runtime = TenantRuntime(tenant, regions)
    with tenant_dag(
        tenant, dag_id=vendor_dag_id(tenant.tenant_id), kind="vendors",
        description="Basware vendors <-> IFS suppliers", schedule=tenant.vendors.schedule, retries=retries,
        params={**window_params("the vendors changed since window_start"),
                "resolve_vendor": Param(None, type=["null", "string"], description="a held vendor's code"),
                "winner": Param(None, type=["null", "string"], enum=[None, *WINNERS],
                                description="whose version the held vendor keeps")},
        doc_md=OPERATOR_GUIDE.format(tenant=tenant.tenant_id, schedule=tenant.vendors.schedule,
                                     policy=tenant.vendors.conflict_policy),
    ) as dag:
        resolve_task(runtime)() >> basware_to_ifs_task(runtime)() >> ifs_to_basware_task(runtime)()
    return dag


def resolve_task(runtime: TenantRuntime) -> Any:
    @task(task_id="resolve_held")
    def resolve() -> dict[str, Any]:
        context = get_current_context()
        params = context.get("params") or {}
        if not params.get("resolve_vendor"):
            return {}
        from ml_connector.sync.vendor_replay import resolve_held

        ctx = runtime.context(context["run_id"])
        return resolve_held(ctx, str(params["resolve_vendor"]), params.get("winner"))
    return resolve


def basware_to_ifs_task(runtime: TenantRuntime) -> Any:
    runs = runs_asset(runtime.tenant.tenant_id, "vendor")

    @task(task_id="basware_to_ifs", outlets=[runs])
    def basware_to_ifs() -> dict[str, Any]:
        from ml_connector.sync import vendors

        context = get_current_context()
        window = run_window(context)
        summary = vendors.sync_basware_to_ifs(runtime.context(context["run_id"]),
                                              since=window[0] if window else None)
        context["outlet_events"][runs].extra = {"run_id": context["run_id"], **summary["counts"]}
        return summary
    return basware_to_ifs


def ifs_to_basware_task(runtime: TenantRuntime) -> Any:
    @task(task_id="ifs_to_basware")
    def ifs_to_basware() -> dict[str, Any]:
        from ml_connector.sync.vendor_conflicts import HELD
        from ml_connector.sync.vendors_to_basware import sync_ifs_to_basware

        context = get_current_context()
        window = run_window(context)
        ctx = runtime.context(context["run_id"])
        summary = sync_ifs_to_basware(ctx, since=window[0] if window else None)
        held = [e.record_id for e in ctx.store.list_open(ctx.tenant_id, HELD) if e.run_id == ctx.run_id]
        if summary["refused"] or held:
            refused = "; ".join(f"{code}: {why}" for code, why in sorted(summary["refused"].items())[:5])
            raise VendorsNeedAttention(
                f"tenant {ctx.tenant_id}: Basware refused {len(summary['refused'])} vendor(s) ({refused or 'none'}); "
                f"{len(held)} conflict(s) held for a person ({', '.join(sorted(held)[:5]) or 'none'})")
        return summary
    return ifs_to_basware
