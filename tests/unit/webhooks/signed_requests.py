"""What every webhook test builds: a notification body, the headers Basware signs it with, and a receiver
app on a real state store whose trigger calls are recorded. One place, so a change to the signing scheme
(header names, what is signed) is made once for the receiver, fuzz and tenant-isolation tests alike."""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from typing import Any

from fastapi.testclient import TestClient

from ml_connector.state import StateStore
from ml_connector.webhooks import TenantWebhook, create_app, sign

SIGNATURE_HEADER = "x-bwapi-signature-256"
TIMESTAMP_HEADER = "x-bwapi-timestamp"
DELIVERY_HEADER = "x-bwapi-delivery-id"
FAR_FUTURE = "2030-01-01T00:00:00Z"  # an expirationTime that has not passed


def notification(doc: str | None = "INV-1", task: str | None = "t-1", **fields: Any) -> dict[str, Any]:
    """A WaitingForTransfer notification as Basware's NotificationPayload describes it."""
    return {"taskId": task, "taskStatus": "New", "taskType": "AccountingDocuments",
            "taskSubType": "WaitingForTransfer", "documentId": doc, "expirationTime": FAR_FUTURE, **fields}


def body_of(note: Mapping[str, Any] | bytes) -> bytes:
    return note if isinstance(note, bytes) else json.dumps(note).encode()


def signed_headers(secret: str, body: bytes, *, sig_header: str = SIGNATURE_HEADER,
                   timestamp: str | None = "now", delivery: str | None = None, **extra: str) -> dict[str, str]:
    """The headers of a genuine delivery of `body`; `timestamp=None` sends none."""
    headers = {sig_header: sign(secret, body)}
    if timestamp is not None:
        headers[TIMESTAMP_HEADER] = str(int(time.time())) if timestamp == "now" else timestamp
    if delivery is not None:
        headers[DELIVERY_HEADER] = delivery
    return {**headers, **extra}


class ReceiverEnv:
    """The receiver app in-process on `store`, with the given tenants; `triggers` lists the runs asked for."""

    def __init__(self, tenants: Mapping[str, TenantWebhook], store: StateStore) -> None:
        self.tenants, self.store = tenants, store
        self.triggers: list[tuple[str, list[str]]] = []
        self.trigger_result: bool | Exception = True
        self.client = TestClient(create_app(tenants.get, lambda: store, self.trigger))

    def trigger(self, tenant_id: str, documents: list[str]) -> bool:
        self.triggers.append((tenant_id, documents))
        if isinstance(self.trigger_result, Exception):
            raise self.trigger_result
        return self.trigger_result

    def send(self, tenant: str, body: bytes, headers: Mapping[str, str]) -> Any:
        """A request exactly as given (forged, replayed or malformed headers)."""
        return self.client.post(f"/basware/{tenant}", content=body, headers=dict(headers))

    def post(self, tenant: str, note: Mapping[str, Any] | bytes, *, secret: str, **signing: Any) -> Any:
        """`note` signed with `secret` (see `signed_headers` for the options)."""
        body = body_of(note)
        return self.send(tenant, body, signed_headers(secret, body, **signing))

    def recorded(self) -> int:
        return sum(len(self.store.pending_deliveries(t)) for t in self.tenants)
