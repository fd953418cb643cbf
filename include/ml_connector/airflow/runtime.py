"""What a task of a tenant's DAG needs, built lazily from Airflow connections: its TenantContext, staging.

Built per task process; the clients' token managers are shared per credential set in the process.
"""

from __future__ import annotations

import os
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ml_connector.config import TenantConfig

if TYPE_CHECKING:  # imported when a task first needs them, not when a DAG is built (every parse)
    from ml_connector.basware.client import BaswareClient
    from ml_connector.http.tokens import TokenManager
    from ml_connector.ifs.client import IfsClient
    from ml_connector.state import StateStore
    from ml_connector.sync.context import TenantContext

STAGING_ENV = "ML_CONNECTOR_STAGING"


def staging_root() -> Any:
    """Where extracted batches are staged: $ML_CONNECTOR_STAGING (a path or an object-storage URL such
    as s3://bucket/prefix, shared by all workers) or a folder in AIRFLOW_HOME for one-machine setups."""
    configured = os.environ.get(STAGING_ENV)
    if configured and "://" in configured:
        from airflow.sdk import ObjectStoragePath

        return ObjectStoragePath(configured)
    root = Path(configured or Path(os.environ.get("AIRFLOW_HOME") or Path.home() / "airflow") / "ml_connector_staging")
    root.mkdir(parents=True, exist_ok=True)
    return root


class TenantRuntime:
    def __init__(self, tenant: TenantConfig, regions: dict[str, str]) -> None:
        self.tenant = tenant
        self.regions = regions

    @cached_property
    def basware(self) -> BaswareClient:
        from ml_connector.airflow.hooks import BaswareHook

        client = BaswareHook(self.tenant.basware_conn_id, regions=self.regions).get_conn()
        self._watch_tokens(client.tokens, "basware")
        return client

    @cached_property
    def ifs(self) -> IfsClient:
        from ml_connector.airflow.hooks import IfsCloudHook

        client = IfsCloudHook(self.tenant.ifs_conn_id, fields=self.tenant.ifs.fields).get_conn()
        self._watch_tokens(client.tokens, "ifs_cloud")
        return client

    def _watch_tokens(self, tokens: TokenManager, system: str) -> None:
        """The operations page's token health (every token this tenant's tasks obtain, or fail to), and
        one token for all of the tenant's task processes through the state store's token cache."""
        from ml_connector.sync.health import token_observer

        tokens.observe(f"health:{self.tenant.tenant_id}", token_observer(self.store, self.tenant.tenant_id, system))
        tokens.share_through(self.store)

    @cached_property
    def store(self) -> StateStore:
        from ml_connector.airflow.state import state_store

        return state_store()

    @cached_property
    def staging(self) -> Any:
        return staging_root()

    def context(self, run_id: str) -> TenantContext:
        from ml_connector.sync.context import TenantContext

        return TenantContext(tenant=self.tenant, basware=self.basware, ifs=self.ifs, store=self.store, run_id=run_id)
