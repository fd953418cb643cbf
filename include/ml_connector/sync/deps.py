"""Building the per-invoice flow's dependencies from what a task is handed."""

from __future__ import annotations

from collections.abc import Sequence

from ml_connector.basware.client import BaswareClient
from ml_connector.config import TenantConfig
from ml_connector.ifs.client import IfsClient
from ml_connector.state import StateStore
from ml_connector.sync.catalog import Catalog
from ml_connector.sync.flow import FlowDeps
from ml_connector.sync.proposals import DEFAULT_SETTLE
from ml_connector.sync.vendors import SupplierReconciler, VendorDirectory


def flow_deps(
    *, basware: BaswareClient, ifs: IfsClient, store: StateStore, tenant: TenantConfig, run_id: str | None,
    catalog: Catalog, vendors: VendorDirectory | None = None, settle: Sequence[float] = DEFAULT_SETTLE,
) -> FlowDeps:
    suppliers = SupplierReconciler(ifs, vendors or VendorDirectory(basware), store, tenant.tenant_id, run_id)
    return FlowDeps(basware, ifs, store, tenant, run_id, catalog, suppliers, tuple(settle))
