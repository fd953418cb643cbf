"""Build each tenant's DAGs from the validated tenant configuration.

`register_tenant_dags(globals())` is all a DAG file does. One tenant's broken configuration is
logged and skipped; the others still load. When a worker parses the file to run one task, only
that DAG is built (`get_parsing_context`), so 500 tenants cost one DAG per task start.

The invoice DAG, per tenant (`mlc_<tenant>_invoices`):

    extract ─► process_batch (mapped task group, one per staged batch):
                 map_dimensions ─► reconcile_vendors ─► upsert_proposals ─► report_back
            ─► finalize (control totals, watermark)

Vendor reconciliation runs before the proposals are written, not after as first sketched: IFS
refuses a proposal for a supplier it does not know, so the supplier must exist first.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from airflow.sdk import (
    DAG,
    CronDataIntervalTimetable,
    Param,
    XComArg,
    get_current_context,
    get_parsing_context,
    task,
    task_group,
)

from ml_connector.airflow.notifier import TenantFailureNotifier
from ml_connector.airflow.runtime import TenantRuntime
from ml_connector.config import ConfigError, ConnectorConfig, TenantConfig, load_config
from ml_connector.sync import invoices as flow
from ml_connector.webhooks import settle_deliveries

log = logging.getLogger(__name__)

START_DATE = datetime(2026, 1, 1)
STAGES = ("map_dimensions", "reconcile_vendors", "upsert_proposals", "report_back")


class IncompleteRun(RuntimeError):
    """Some invoices of the run are neither reported nor quarantined (deferred or failed): the run is
    marked failed so the alert fires; the next run resumes them from the ledger."""

    def __init__(self, tenant_id: str, outcome: dict[str, Any]) -> None:
        counts = outcome["counts"]
        super().__init__(f"tenant {tenant_id}: run {outcome['run_id']} is {outcome['state']}: "
                         f"{counts.get('deferred', 0)} deferred, {counts.get('failed', 0)} failed; "
                         f"watermark {outcome['watermark']['reason']}")


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


def invoice_dag_id(tenant_id: str) -> str:
    return f"mlc_{tenant_id}_invoices"


def run_window(context: Any) -> tuple[datetime, datetime] | None:
    """The window a run covers: a backfill run's data interval, or an explicit window in the run's
    params; None for regular runs, which read incrementally from the watermark."""
    params = context.get("params") or {}
    if params.get("window_start") and params.get("window_end"):
        start = datetime.fromisoformat(str(params["window_start"]).replace("Z", "+00:00"))
        end = datetime.fromisoformat(str(params["window_end"]).replace("Z", "+00:00"))
        if end <= start:
            raise ConfigError(f"window_end {end.isoformat()} must be after window_start {start.isoformat()}")
        return start, end
    dag_run = context.get("dag_run")
    # run_type is a str Enum: str() gives "DagRunType.BACKFILL", its value "backfill".
    if dag_run is not None and getattr(dag_run, "run_type", None) == "backfill":
        start, end = context.get("data_interval_start"), context.get("data_interval_end")
        if start is not None and end is not None:
            if end <= start:  # read as a regular run, a backfill would quietly skip the window it was for
                raise ConfigError(f"backfill run {context.get('run_id')} has an empty data interval "
                                  f"({start.isoformat()}): the DAG needs a data-interval timetable")
            return start, end
    return None


def invoice_schedule(expression: str) -> Any:
    """A cron schedule with data intervals: each run, and so each backfill run, covers [previous tick,
    its tick). Airflow 3 makes a plain cron string a CronTriggerTimetable, whose runs cover a single
    instant, which leaves a backfill nothing to re-read."""
    if expression in ("@once", "@continuous"):
        return expression
    timetable = CronDataIntervalTimetable(expression, timezone="UTC")
    timetable.validate()  # here, inside the tenant's own try: Airflow checks it only when it bags the file
    return timetable


def build_invoice_dag(tenant: TenantConfig, regions: dict[str, str], *, retries: int = 2) -> DAG:
    notifier = TenantFailureNotifier(tenant.tenant_id, webhook_conn_id=tenant.alerts.webhook_conn_id,
                                     email=tenant.alerts.email)
    runtime = TenantRuntime(tenant, regions)

    with DAG(
        dag_id=invoice_dag_id(tenant.tenant_id),
        description=f"Basware approved invoices -> IFS posting proposals for tenant {tenant.tenant_id}",
        schedule=invoice_schedule(tenant.trigger.schedule),
        start_date=START_DATE,
        catchup=False,
        max_active_runs=1,
        default_args={"retries": retries, "retry_delay": timedelta(seconds=30), "retry_exponential_backoff": True,
                      "on_failure_callback": notifier},
        params={"window_start": Param(None, type=["null", "string"], description="ISO date-time; with "
                                      "window_end, re-reads exactly that window (creates nothing twice)"),
                "window_end": Param(None, type=["null", "string"])},
        tags=["ml-connector", f"tenant:{tenant.tenant_id}", "invoices"],
        doc_md=__doc__,
    ) as dag:

        @task
        def extract() -> list[dict[str, Any]]:
            """Returns the staged batch references to map over; the window and counts go to finalize."""
            context = get_current_context()
            extracted = flow.extract(**runtime.clients(), run_id=context["run_id"], staging=runtime.staging,
                                     window=run_window(context), dag_id=dag.dag_id)
            context["ti"].xcom_push(key="summary", value={"window": extracted["window"],
                                                          "counts": extracted["counts"]})
            return list(extracted["batches"])

        def stage_task(stage: str) -> Any:
            @task(task_id=stage)
            def run_stage(batch: dict[str, Any]) -> dict[str, Any]:
                run_id = get_current_context()["run_id"]
                return flow.process_batch(batch, **runtime.clients(), run_id=run_id, staging=runtime.staging,
                                          stage=stage)
            return run_stage

        stage_outputs: list[Any] = []

        @task_group(group_id="process_batch")
        def process_batch(batch: dict[str, Any]) -> None:
            result: Any = batch
            for stage in STAGES:
                result = stage_task(stage)(result)
            stage_outputs.append(result)

        @task(trigger_rule="all_done")
        def finalize(summary: dict[str, Any], results: Any, batches: list[dict[str, Any]]) -> dict[str, Any]:
            """Runs even when a batch failed: the run is recorded and the watermark stays put."""
            run_id = get_current_context()["run_id"]
            results = with_lost_batches(batch_results(results), batches)
            outcome = flow.finalize(ifs=runtime.ifs, store=runtime.store, tenant=tenant, run_id=run_id,
                                    extracted=summary, results=results)
            # Webhook deliveries whose invoices are now final leave the inbox (partial runs settle too).
            outcome["webhook_deliveries_settled"] = settle_deliveries(runtime.store, tenant.tenant_id)
            if outcome["state"] != "success":
                raise IncompleteRun(tenant.tenant_id, outcome)
            return outcome

        batches = extract()
        process_batch.expand(batch=batches)
        # Every batch's last-stage result (a mapped task group hands its tasks' outputs on by reference).
        finalize(XComArg(batches.operator, key="summary"), stage_outputs[-1], batches)
    return dag


def tenant_dag_ids(tenant: TenantConfig) -> set[str]:
    return {invoice_dag_id(tenant.tenant_id)}


def build_tenant_dags(tenant: TenantConfig, regions: dict[str, str]) -> list[DAG]:
    return [build_invoice_dag(tenant, regions)]


def register_tenant_dags(namespace: dict[str, Any], config: ConnectorConfig | None = None) -> list[str]:
    """Put every tenant's DAGs into a DAG file's globals(); returns the DAG ids built."""
    try:
        config = config or load_config()
    except ConfigError as exc:
        log.error("ml-connector: no tenant DAGs: %s", exc)
        raise
    wanted = get_parsing_context().dag_id
    built = []
    for tenant in config.tenants:
        if wanted and wanted not in tenant_dag_ids(tenant):
            continue
        try:
            for dag in build_tenant_dags(tenant, config.region_map()):
                namespace[dag.dag_id] = dag
                built.append(dag.dag_id)
        except Exception:  # one tenant's broken DAG must not hide the others
            log.exception("ml-connector: DAGs of tenant %s could not be built", tenant.tenant_id)
    return built
