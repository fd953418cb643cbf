"""The invoice DAG of one tenant (`mlc_<tenant>_invoices`):

    extract ─► process_batch (mapped task group, one per staged batch):
                 map_dimensions ─► reconcile_vendors ─► upsert_proposals ─► report_back
            ─► finalize (control totals, watermark)

The batch group's tasks are the invoice flow's stages (`sync.flow.Stage`), in order; each hands the
next its counts and the invoices it held back. Vendor reconciliation runs before the proposals are
written, not after as first sketched: IFS refuses a proposal for a supplier it does not know.
"""

from __future__ import annotations

from typing import Any

from airflow.sdk import DAG, XComArg, get_current_context, task, task_group

from ml_connector.airflow.dags.common import run_window, runs_asset, tenant_dag, window_params
from ml_connector.airflow.notifier import TenantFailureNotifier
from ml_connector.airflow.runtime import TenantRuntime
from ml_connector.config import TenantConfig
from ml_connector.sync.stages import Stage

# The sync code is imported inside the tasks: a worker parses this file before every task, and
# building the DAG needs none of it (the parse for one task stays well under 0.3 s).

# What the DAG's Docs panel shows: written for the finance-IT operator, not the developer.
OPERATOR_GUIDE = """\
### Basware invoices → IFS posting proposals (tenant `{tenant}`)

Approved Basware invoices (status *WaitingForTransfer*) become IFS posting proposals on the right
company and code parts, exactly once; each is then reported back to Basware (*Transferred*, or
*TransferFailed* with the reason the AP team sees). Nothing is posted: users post the proposals in IFS.

**Runs**: every `{schedule}` (trigger mode `{mode}`: with webhooks, a Basware notification starts a run
at once). Each run reads what changed since the last one; running it again creates nothing twice.

**Tasks**: `extract` reads and stages the invoices; per batch `map_dimensions` → `reconcile_vendors`
(a supplier missing in IFS is created from the Basware vendor) → `upsert_proposals` → `report_back`;
`finalize` checks the control totals per company and moves the watermark.

**Params**: `window_start` / `window_end` (ISO date-times) re-read exactly that window, e.g. after an
outage; `airflow backfill create` over a date range re-reads each scheduled interval.

**An invoice did not arrive?** Invoices that cannot be mapped are quarantined, not lost:
`ml-connector quarantine list --tenant {tenant}` shows each with its reason; fix the cause (tenants
file, or the missing value in IFS), then `ml-connector replay --tenant {tenant} --all`.
A red run means some invoices were deferred (a system was unreachable): the next run resumes them.
A green run can still have quarantined invoices: its event on the asset `mlc_{tenant}_invoice_runs`
(the run's *Asset Events*) counts moved / quarantined / deferred, and the tenant's alert names them.
Every task log ends with its counts; `finalize` adds the control totals per company.
One invoice's whole story (IFS key, Basware request ids): `ml-connector trace --tenant {tenant} --invoice ID`.
"""


class IncompleteRun(RuntimeError):
    """Some invoices of the run are neither reported nor quarantined (deferred or failed): the run is
    marked failed so the alert fires; the next run resumes them from the ledger. `invoices` names them
    (id, number, IFS key, last error and Basware request ids) for the alert."""

    def __init__(self, tenant_id: str, outcome: dict[str, Any], invoices: list[dict[str, Any]] | None = None) -> None:
        counts = outcome["counts"]
        self.invoices = list(invoices or [])
        named = "; ".join(f"{i['invoice_id']} (no. {i.get('invoice_number') or '-'}, {i['status']})"
                          for i in self.invoices[:5])
        super().__init__(f"tenant {tenant_id}: run {outcome['run_id']} is {outcome['state']}: "
                         f"{counts.get('deferred', 0)} deferred, {counts.get('failed', 0)} failed; "
                         f"watermark {outcome['watermark']['reason']}" + (f"; held: {named}" if named else ""))


def invoice_dag_id(tenant_id: str) -> str:
    return f"mlc_{tenant_id}_invoices"


def batch_results(pulled: Any) -> list[dict[str, Any]]:
    """The mapped batches' results as a list. Airflow hands over a lone dict when exactly one batch ran
    and nothing when none did (the mapped group was skipped)."""
    if not pulled:
        return []
    if isinstance(pulled, dict):
        return [pulled]
    return [r for r in pulled if r]


def with_lost_batches(results: list[dict[str, Any]], batches: Any) -> list[dict[str, Any]]:
    """`results` plus a stand-in for each batch whose task failed and handed back nothing: its invoices
    count as failed, so the run is recorded as partial and fails (instead of ending "success")."""
    finished = {r.get("ref") for r in results}
    lost = [{"ref": b["ref"], "invoices": int(b["count"]), "failed": int(b["count"])}
            for b in batches or [] if b["ref"] not in finished]
    return results + lost


def build_invoice_dag(tenant: TenantConfig, regions: dict[str, str], *, retries: int = 2) -> DAG:
    runtime = TenantRuntime(tenant, regions)
    with tenant_dag(
        tenant, dag_id=invoice_dag_id(tenant.tenant_id), kind="invoices",
        description="Basware approved invoices -> IFS posting proposals", schedule=tenant.trigger.schedule,
        retries=retries, params=window_params("exactly that window (creates nothing twice)"),
        doc_md=OPERATOR_GUIDE.format(tenant=tenant.tenant_id, schedule=tenant.trigger.schedule,
                                     mode=tenant.trigger.mode),
    ) as dag:
        batches = extract_task(runtime, dag.dag_id)()
        last_stage = batch_group(runtime).expand(batch=batches)
        finalize_task(runtime)(XComArg(batches.operator, key="summary"), last_stage, batches)
    return dag


def extract_task(runtime: TenantRuntime, dag_id: str) -> Any:
    @task(task_id="extract")
    def extract() -> list[dict[str, Any]]:
        """Returns the staged batch references to map over; the window and counts go to finalize."""
        from ml_connector.sync import invoices

        context = get_current_context()
        extracted = invoices.extract(runtime.context(context["run_id"]), runtime.staging,
                                     window=run_window(context), dag_id=dag_id)
        # The tenant goes along so finalize can refuse a summary that is not its own.
        context["ti"].xcom_push(key="summary", value={"tenant": extracted["tenant"], "run_id": extracted["run_id"],
                                                      "window": extracted["window"],
                                                      "counts": extracted["counts"]})
        return list(extracted["batches"])
    return extract


def stage_task(runtime: TenantRuntime, stage: Stage) -> Any:
    @task(task_id=stage.value)
    def run_stage(batch: dict[str, Any]) -> dict[str, Any]:
        from ml_connector.sync import invoices

        ctx = runtime.context(get_current_context()["run_id"])
        return invoices.process_batch(ctx, runtime.staging, batch, stage=stage)
    return run_stage


def batch_group(runtime: TenantRuntime) -> Any:
    @task_group(group_id="process_batch")
    def process_batch(batch: dict[str, Any]) -> Any:
        """One staged batch through the invoice flow's stages; returns the last stage's result."""
        result: Any = batch
        for stage in Stage:
            result = stage_task(runtime, stage)(result)
        return result
    return process_batch


def finalize_task(runtime: TenantRuntime) -> Any:
    runs = runs_asset(runtime.tenant.tenant_id, "invoice")

    @task(task_id="finalize", trigger_rule="all_done", outlets=[runs])
    def finalize(summary: dict[str, Any], results: Any, batches: list[dict[str, Any]]) -> dict[str, Any]:
        """Runs even when a batch failed: the run is recorded and the watermark stays put. A run that
        quarantined invoices is green, so it says so twice: in its asset event and in an alert."""
        from ml_connector.sync import invoices
        from ml_connector.sync.outcome import held_invoices, outcome_figures, quarantined_in_run
        from ml_connector.webhooks import settle_deliveries

        context = get_current_context()
        ctx = runtime.context(context["run_id"])
        finished = with_lost_batches(batch_results(results), batches)
        outcome = invoices.finalize(ctx, summary, finished)
        # Webhook deliveries whose invoices are now final leave the inbox (partial runs settle too).
        outcome["webhook_deliveries_settled"] = settle_deliveries(ctx.store, ctx.tenant_id)
        figures = outcome_figures(outcome)
        quarantined = quarantined_in_run(ctx.store, ctx.tenant_id, ctx.run_id) if figures["quarantined"] else []
        context["outlet_events"][runs].extra = {**figures, "quarantined_invoices": [
            {"invoice_id": q["invoice_id"], "invoice_number": q["invoice_number"], "reason_code": q["reason_code"]}
            for q in quarantined]}
        if quarantined:
            TenantFailureNotifier.for_tenant(runtime.tenant).alert_quarantines(context, figures, quarantined)
        if outcome["state"] != "success":
            held = {i for r in finished for i in r.get("held") or ()}
            raise IncompleteRun(ctx.tenant_id, outcome, held_invoices(ctx.store, ctx.tenant_id, held))
        return outcome
    return finalize
