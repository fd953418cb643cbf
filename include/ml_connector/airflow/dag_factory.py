"""Build each tenant's DAGs from the validated tenant configuration.

`register_tenant_dags(globals())` is all a DAG file does. One tenant's broken configuration is
logged and skipped; the others still load. When a worker parses the file to run one task, only
that DAG is built (`get_parsing_context`), so 500 tenants cost one DAG per task start.
Each kind of DAG has its own module under `airflow/dags/`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from airflow.sdk import DAG, get_parsing_context

from ml_connector.airflow.dags.invoices import build_invoice_dag, invoice_dag_id
from ml_connector.airflow.dags.master_data import build_master_data_dag, master_data_dag_id
from ml_connector.airflow.dags.vendors import build_vendor_dag, vendor_dag_id
from ml_connector.config import ConfigError, ConnectorConfig, TenantConfig, load_config

log = logging.getLogger(__name__)


# Each DAG kind: its id from the tenant id, and its builder.
DAG_KINDS: tuple[tuple[Callable[[str], str], Callable[[TenantConfig, dict[str, str]], DAG]], ...] = (
    (invoice_dag_id, build_invoice_dag),
    (master_data_dag_id, build_master_data_dag),
    (vendor_dag_id, build_vendor_dag),
)


def tenant_dag_ids(tenant: TenantConfig) -> set[str]:
    return {dag_id(tenant.tenant_id) for dag_id, _ in DAG_KINDS}


def build_tenant_dags(tenant: TenantConfig, regions: dict[str, str], only: str | None = None) -> list[DAG]:
    """The tenant's DAGs; with `only`, just the DAG of that id (a worker parsing for one task)."""
    return [build(tenant, regions) for dag_id, build in DAG_KINDS if only is None or dag_id(tenant.tenant_id) == only]


def _owns(dag_id: str) -> Callable[[str], bool]:
    """Whether a tenant id is the one whose DAG `dag_id` is."""
    return lambda tenant_id: any(make_id(tenant_id) == dag_id for make_id, _ in DAG_KINDS)


def register_tenant_dags(namespace: dict[str, Any], config: ConnectorConfig | None = None) -> list[str]:
    """Put every tenant's DAGs into a DAG file's globals(); returns the DAG ids built."""
    wanted = get_parsing_context().dag_id
    try:
        config = config or load_config(only_tenants=_owns(wanted) if wanted else None)
    except ConfigError as exc:
        log.error("ml-connector: no tenant DAGs: %s", exc)
        raise
    built = []
    for tenant in config.tenants:
        if wanted and wanted not in tenant_dag_ids(tenant):
            continue
        try:
            for dag in build_tenant_dags(tenant, config.region_map(), wanted or None):
                namespace[dag.dag_id] = dag
                built.append(dag.dag_id)
        except Exception:  # one tenant's broken DAG must not hide the others
            log.exception("ml-connector: DAGs of tenant %s could not be built", tenant.tenant_id)
    return built
