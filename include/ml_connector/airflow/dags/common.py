"""What every tenant DAG shares: start date, schedule with data intervals, alerts, the run's window."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from airflow.sdk import DAG, Asset, CronDataIntervalTimetable, Param

from ml_connector.airflow.notifier import TenantFailureNotifier
from ml_connector.config import ConfigError, TenantConfig

START_DATE = datetime(2026, 1, 1)


def window_params(what: str) -> dict[str, Param]:
    """The manual-run window: `window_start` with `window_end` re-reads `what` in exactly that window."""
    return {"window_start": Param(None, type=["null", "string"],
                                  description=f"ISO date-time; with window_end, re-reads {what}"),
            "window_end": Param(None, type=["null", "string"])}


def tenant_dag(tenant: TenantConfig, *, dag_id: str, kind: str, description: str, schedule: str, doc_md: str,
               retries: int, params: dict[str, Param] | None = None) -> DAG:
    """A tenant's DAG as every kind has it: its schedule, one run at a time, the tenant's alerts and tags."""
    return DAG(
        dag_id=dag_id,
        description=f"{description} for tenant {tenant.tenant_id}",
        schedule=interval_schedule(schedule),
        start_date=START_DATE,
        catchup=False,
        max_active_runs=1,
        default_args=tenant_default_args(tenant, retries),
        params=params or {},
        tags=["ml-connector", f"tenant:{tenant.tenant_id}", kind],
        doc_md=doc_md,
    )


def runs_asset(tenant_id: str, kind: str) -> Asset:
    """The asset each finished run of a tenant's `kind` DAG emits an event to, its counts in the extra:
    the Assets view and the run's Asset Events show what a green run moved and what it quarantined."""
    return Asset(name=f"mlc_{tenant_id}_{kind}_runs", uri=f"x-ml-connector://{tenant_id}/{kind}-runs",
                 group="ml-connector")


def tenant_default_args(tenant: TenantConfig, retries: int) -> dict[str, Any]:
    """Task retries with backoff, and the tenant's failure alert on every task."""
    notifier = TenantFailureNotifier.for_tenant(tenant)
    return {"owner": "ml-connector", "retries": retries, "retry_delay": timedelta(seconds=30),
            "retry_exponential_backoff": True, "on_failure_callback": notifier}


def interval_schedule(expression: str) -> Any:
    """A cron schedule with data intervals: each run, and so each backfill run, covers [previous tick,
    its tick). Airflow 3 makes a plain cron string a CronTriggerTimetable, whose runs cover a single
    instant, which leaves a backfill nothing to re-read."""
    if expression in ("@once", "@continuous"):
        return expression
    timetable = CronDataIntervalTimetable(expression, timezone="UTC")
    timetable.validate()  # here, inside the tenant's own try: Airflow checks it only when it bags the file
    return timetable


def run_window(context: Any) -> tuple[datetime, datetime] | None:
    """The window a run covers: a backfill run's data interval, or an explicit window in the run's
    params; None for regular runs, which read incrementally from the watermark."""
    params = context.get("params") or {}
    if params.get("window_start") and params.get("window_end"):
        start = _parse(params["window_start"])
        end = _parse(params["window_end"])
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


def _parse(value: Any) -> datetime:
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
