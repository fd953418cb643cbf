"""`ml-connector quarantine list` / `replay`: admin commands on a tenant's quarantine, outside any task.

Like `connect`, they run on the Airflow host, not in a task; there the Task SDK's `BaseHook` does not
read the metadata DB. Airflow's core model does: it looks in AIRFLOW_CONN_* variables, then any
configured secrets backend, then the metadata DB, the same order a task sees.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from ml_connector.airflow.hooks import tenant_basware_settings, tenant_ifs_settings
from ml_connector.airflow.state import admin_state_url
from ml_connector.config import ConnectorConfig, TenantConfig
from ml_connector.state import StateStore
from ml_connector.sync import invoices
from ml_connector.sync.context import TenantContext
from ml_connector.sync.health import token_observer

# Replay outcomes that leave nothing for the operator to do; any other one makes `replay` exit 1.
REPLAY_DONE = ("transferred",)


def open_store() -> StateStore:
    store = StateStore(admin_state_url())
    store.migrate()  # idempotent; a store no run has written to yet simply lists nothing
    return store


@contextmanager
def tenant_context(config: ConnectorConfig, tenant: TenantConfig, run_id: str) -> Iterator[TenantContext]:
    """The flow's context from the tenant's connections, as a task would build it."""
    basware = tenant_basware_settings(tenant)
    ifs = tenant_ifs_settings(tenant)
    store = open_store()
    try:
        with basware.build_client(config.region_map()) as bw_client, ifs.build_client() as ifs_client:
            for client, system in ((bw_client, "basware"), (ifs_client, "ifs_cloud")):
                client.tokens.observe(f"health:{tenant.tenant_id}", token_observer(store, tenant.tenant_id, system))
                client.tokens.share_through(store)  # the tenant's tasks already hold a token: take theirs
            yield TenantContext(tenant=tenant, basware=bw_client, ifs=ifs_client, store=store, run_id=run_id)
    finally:
        store.dispose()


def quarantine_list(tenant: TenantConfig) -> list[dict[str, Any]]:
    store = open_store()
    try:
        return invoices.list_quarantine(store, tenant.tenant_id)
    finally:
        store.dispose()


def replay(config: ConnectorConfig, tenant: TenantConfig, invoice_id: str | None) -> dict[str, Any]:
    """Replay one quarantined invoice or all (`invoice_id=None`); see sync/replay.py for the outcomes."""
    run_id = f"replay__{datetime.now(UTC).strftime('%Y-%m-%dT%H:%M:%S.%fZ')}"
    with tenant_context(config, tenant, run_id) as ctx:
        return invoices.replay(ctx, invoice_id)
