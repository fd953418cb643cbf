"""What every sync function of one tenant's run is handed: one frozen, typed context.

Built by an Airflow task (from the tenant's connections), by the CLI, or by a test; the sync
functions take it as their first argument instead of a spread of loose keyword arguments.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from ml_connector.basware.client import BaswareClient
from ml_connector.config import TenantConfig
from ml_connector.http.throttle import shared_throttle
from ml_connector.ifs.client import IfsClient
from ml_connector.state import StateStore
from ml_connector.sync.proposals import DEFAULT_SETTLE


@dataclass(frozen=True)
class TenantContext:
    tenant: TenantConfig
    basware: BaswareClient
    ifs: IfsClient
    store: StateStore
    run_id: str
    settle: Sequence[float] = field(default=DEFAULT_SETTLE)

    def __post_init__(self) -> None:
        # One limit on requests in flight per tenant and system, whichever task thread sends them.
        limits = self.tenant.concurrency
        self.ifs.api.throttle = shared_throttle(f"{self.tenant_id}:ifs:{self.ifs.api.base_url}", limits.ifs)
        self.basware.api.throttle = shared_throttle(f"{self.tenant_id}:basware:{self.basware.api.base_url}",
                                                    limits.basware)

    @property
    def tenant_id(self) -> str:
        return self.tenant.tenant_id

    def for_run(self, run_id: str) -> TenantContext:
        """The same tenant, clients and store for another run (a replay, the next DAG run)."""
        return replace(self, run_id=run_id)
