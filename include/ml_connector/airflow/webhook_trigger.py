"""Start a tenant's invoice run for a webhook, the way `airflow dags trigger` does, in the API server.

Debounced: when a run of the tenant's invoice DAG is already queued, it will list the new documents
when it starts, so nothing is created. A *running* run may be past its extract step, so one run is
queued behind it (the DAG's max_active_runs=1 holds it until the first finishes): a burst of
notifications costs at most one running and one queued run, and none waits for the next schedule.
"""

from __future__ import annotations

import logging
import threading

log = logging.getLogger(__name__)

TRIGGERED_BY_USER = "basware-webhook"
# One check-then-create at a time per process; the API server's workers are separate processes, so a
# rare concurrent pair can still queue two runs, which the idempotent pipeline absorbs.
_LOCK = threading.Lock()


def queued_runs(dag_id: str) -> int:
    from airflow.models import DagRun
    from airflow.utils.session import create_session
    from airflow.utils.state import DagRunState
    from sqlalchemy import func, select

    stmt = select(func.count()).select_from(DagRun).where(
        DagRun.dag_id == dag_id, DagRun.state == DagRunState.QUEUED)
    with create_session() as session:
        return int(session.scalar(stmt) or 0)


def trigger_invoice_run(tenant_id: str, document_ids: list[str]) -> bool:
    """True when a DagRun of `mlc_<tenant>_invoices` was created, False when one is already queued."""
    from airflow.api.common.trigger_dag import trigger_dag
    from airflow.exceptions import DagRunAlreadyExists
    from airflow.utils.types import DagRunTriggeredByType, DagRunType

    from ml_connector.airflow.dags.invoices import invoice_dag_id

    dag_id = invoice_dag_id(tenant_id)
    with _LOCK:
        if queued_runs(dag_id):
            log.info("Tenant %s: a run of %s is already queued; it will pick up %s", tenant_id, dag_id,
                     ", ".join(document_ids))
            return False
        try:
            run = trigger_dag(dag_id, triggered_by=DagRunTriggeredByType.REST_API, run_type=DagRunType.MANUAL,
                              triggering_user_name=TRIGGERED_BY_USER,
                              note=f"Basware webhook: {', '.join(document_ids)}"[:1000])
        except DagRunAlreadyExists:  # same run id in the same instant: that run covers these documents
            return False
    log.info("Tenant %s: triggered %s run %s for %s", tenant_id, dag_id, run.run_id if run else None,
             ", ".join(document_ids))
    return run is not None
