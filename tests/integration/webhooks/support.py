"""Helpers for the webhook integration tests: the simulator and the receiver wired together."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import requests

from ml_connector.basware.client import BaswareClient
from ml_connector.state import Delivery, StateStore
from ml_connector.webhooks import TenantWebhook
from mlc_sandbox.basware import BaswareSimulator
from mlc_sandbox.server import ThreadedServer

SECRET = "integration-webhook-secret-0123456789"


@dataclass
class Wired:
    sim: BaswareSimulator
    basware: ThreadedServer
    receiver: ThreadedServer
    store: StateStore
    tenants: dict[str, TenantWebhook]
    triggers: list[tuple[str, list[str]]] = field(default_factory=list)

    def url(self, tenant: str) -> str:
        return f"{self.receiver.url}/basware/{tenant}"

    def client(self) -> BaswareClient:
        s = self.sim.settings
        return BaswareClient(self.basware.url, s.client_id, s.client_secret)

    def subscribe(self, tenant: str, secret: str = SECRET) -> Any:
        with self.client() as client:
            return client.subscriptions.create(self.url(tenant), secret)

    def approve(self, count: int) -> list[str]:
        """New approved documents, as the AP team would make them; each fires a notification."""
        answer = requests.post(f"{self.basware.url}/_sandbox/basware/documents", json={"count": count},
                               timeout=10)
        answer.raise_for_status()
        assert self.sim.wait_for_webhooks(15), "webhook deliveries still pending"
        return list(answer.json()["invoiceIds"])

    def inbox(self, tenant: str = "acme") -> list[Delivery]:
        return self.store.pending_deliveries(tenant)

    def deliveries(self, task_type: str = "AccountingDocuments") -> list[dict[str, Any]]:
        return [d for d in self.sim.webhook_deliveries if d["taskType"] == task_type]
