"""A Basware simulator and the webhook receiver, each on its own localhost port, talking real HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import SecretStr

from ml_connector.state import StateStore
from ml_connector.webhooks import TenantWebhook, create_app
from mlc_sandbox.basware import BaswareSettings, BaswareSimulator
from mlc_sandbox.faults import FaultInjector
from mlc_sandbox.seed import SeedConfig, build_dataset
from mlc_sandbox.server import serve

from .support import SECRET, Wired


@pytest.fixture
def wired(tmp_path: Path) -> Iterator[Wired]:
    store = StateStore(f"sqlite:///{tmp_path / 'state.db'}")
    store.migrate()
    tenants = {"acme": TenantWebhook("acme", "both", SecretStr(SECRET)),
               "poller": TenantWebhook("poller", "poll", SecretStr(SECRET))}
    settings = BaswareSettings(webhook_attempts=2, webhook_retry_delay=0.05, out_of_order_hold=0.5)
    sim = BaswareSimulator(build_dataset(SeedConfig(invoices=5, suppliers=10)), FaultInjector(), settings)
    triggers: list[tuple[str, list[str]]] = []

    def trigger(tenant_id: str, documents: list[str]) -> bool:
        triggers.append((tenant_id, documents))
        return True

    app = create_app(tenants.get, lambda: store, trigger)
    with serve(sim.app) as basware, serve(app) as receiver:
        yield Wired(sim, basware, receiver, store, tenants, triggers)
        sim.close()
    store.dispose()
