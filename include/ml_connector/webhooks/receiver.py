"""The Basware webhook receiver: `POST /basware/{tenant_id}` -> verify, record in the inbox, trigger.

Everything it needs is injected (tenant lookup, state store, trigger), so it runs without Airflow;
`ml_connector.airflow.webhook_app` wires the real ones. Basware retries slow or failed answers, so the
work per delivery is small: verify, one insert, one trigger call, answer.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import SecretStr
from starlette.concurrency import run_in_threadpool

from ml_connector.state import StateStore
from ml_connector.webhooks.signature import SignatureError, SignatureScheme, header, verify

log = logging.getLogger(__name__)

MAX_BODY = 64 * 1024  # a notification is a few hundred bytes
DOCUMENT_ID_MAX = 100  # the inbox's document_id column (Basware's invoiceId allows 36)
_DELIVERY_ID = re.compile(r"^[\x21-\x7e]{1,200}$")  # printable, fits the inbox key column


@dataclass(frozen=True)
class TenantWebhook:
    tenant_id: str
    mode: Literal["poll", "webhook", "both"]
    secret: SecretStr | None
    scheme: SignatureScheme = field(default_factory=SignatureScheme)
    delivery_id_header: str = "x-bwapi-delivery-id"


TenantLookup = Callable[[str], TenantWebhook | None]
StoreGetter = Callable[[], StateStore]
# (tenant_id, document ids) -> whether a run was started; it decides about debouncing.
Trigger = Callable[[str, list[str]], bool]


def _answer(status_code: int, **body: Any) -> JSONResponse:
    return JSONResponse(body, status_code=status_code)


class Receiver:
    def __init__(self, lookup: TenantLookup, store: StoreGetter, trigger: Trigger, *,
                 clock: Callable[[], float] = time.time) -> None:
        self.lookup, self.store, self.trigger, self.clock = lookup, store, trigger, clock
        self._decoy_secret = SecretStr(secrets.token_hex(32))

    def handle(self, tenant_id: str, headers: Mapping[str, str], body: bytes) -> JSONResponse:
        try:
            tenant = self.lookup(tenant_id)
        except Exception:  # config or DB trouble: 503 makes Basware retry later
            log.exception("webhook for tenant %r: tenant settings unavailable", tenant_id)
            return _answer(503, detail="tenant settings unavailable, retry later")
        if tenant is not None and tenant.mode != "poll" and tenant.secret is None:
            log.warning("webhook for tenant %s refused: no webhook_secret in its Basware connection; run "
                        "`ml-connector subscribe`", tenant_id)
        if tenant is None or tenant.mode == "poll" or tenant.secret is None:
            # Answered exactly as a wrong signature is, so the answers do not tell which tenants exist.
            secret, scheme = self._decoy_secret, SignatureScheme()
        else:
            secret, scheme = tenant.secret, tenant.scheme
        try:
            verify(headers, body, secret, scheme, now=self.clock)
        except SignatureError as exc:
            delivery = header(headers, tenant.delivery_id_header) if tenant else None  # for tracing only
            log.warning("webhook for tenant %r (delivery %r) refused: %s", tenant_id, delivery, exc)
            return _answer(401, detail=str(exc))
        assert tenant is not None  # the decoy secret verifies nothing
        return self._accept(tenant_id, tenant.scheme, body)

    def _accept(self, tenant_id: str, scheme: SignatureScheme, body: bytes) -> JSONResponse:
        try:
            note = json.loads(body)
        except (ValueError, RecursionError):  # RecursionError: a deeply nested body is malformed too
            note = None
        if not isinstance(note, dict):
            return _answer(400, detail="body is not a JSON object")
        if note.get("taskType") == "ConnectionTest":
            log.info("webhook ConnectionTest for tenant %s answered", tenant_id)
            return _answer(200, status="ok")
        if expired(note, self.clock(), scheme.tolerance_seconds):
            # Only the body is signed: its expirationTime is the one time an old captured body cannot lie
            # about. The task is gone in Basware anyway; 200 so a late genuine retry stops too.
            log.warning("webhook for tenant %s refused: its signed expirationTime %r has passed (a replay or a "
                        "very late retry)", tenant_id, note.get("expirationTime"))
            return _answer(200, status="expired")
        key = delivery_key(note, body)
        if key is None:
            return _answer(400, detail="taskId is not a printable string of at most 200 characters")
        document_id = note.get("documentId")
        if not isinstance(document_id, str) or not document_id:
            log.info("webhook %s for tenant %s has no documentId (%s): ignored", key, tenant_id,
                     note.get("taskType"))
            return _answer(200, status="ignored")
        if len(document_id) > DOCUMENT_ID_MAX or not document_id.isprintable():
            return _answer(400, detail=f"documentId is not a printable string of at most {DOCUMENT_ID_MAX} characters")
        try:
            new = self.store().record_delivery(tenant_id, key, document_id, note)
        except Exception:  # not recorded: a 503 makes Basware send it again
            log.exception("webhook %s for tenant %s: inbox unavailable", key, tenant_id)
            return _answer(503, detail="inbox unavailable, retry later")
        if not new:
            log.info("webhook %s for tenant %s is a redelivery: ignored", key, tenant_id)
            return _answer(200, status="duplicate")
        try:
            triggered = bool(self.trigger(tenant_id, [document_id]))
        except Exception:  # recorded: the scheduled run picks the document up, so still 200
            log.exception("webhook %s for tenant %s recorded, but the invoice run could not be triggered",
                          key, tenant_id)
            triggered = False
        log.info("webhook %s for tenant %s: document %s recorded, run %s", key, tenant_id, document_id,
                 "triggered" if triggered else "not triggered (one is already queued)")
        return _answer(200, status="accepted", triggered=triggered)


def expired(note: Mapping[str, Any], now: float, tolerance: float) -> bool:
    """Whether the notification's own (signed) expirationTime passed more than `tolerance` seconds ago.
    Absent or unreadable counts as not expired: Basware does not require the field, and the signed
    taskId or body hash still dedupes such a notification."""
    raw = note.get("expirationTime")
    if not isinstance(raw, str):
        return False
    text = raw.strip()
    try:
        when = datetime.fromisoformat(text[:-1] + "+00:00" if text[-1:] in ("Z", "z") else text)
    except ValueError:
        return False
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.timestamp() < now - tolerance


def delivery_key(note: Mapping[str, Any], body: bytes) -> str | None:
    """The inbox key: only what the signature covers. The body's own taskId, else a hash of the signed
    body; never the delivery-id header, which is not signed (a captured body re-sent under a new header
    value must still be a duplicate). None when a taskId is present but unusable."""
    task_id = note.get("taskId")
    if task_id is None or task_id == "":
        return "body-sha256:" + hashlib.sha256(body).hexdigest()
    return task_id if isinstance(task_id, str) and _DELIVERY_ID.match(task_id) else None


async def _read_body(request: Request, limit: int) -> bytes | None:
    """The raw body, or None when it exceeds `limit` (read no further than that)."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        return None
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def create_router(lookup: TenantLookup, store: StoreGetter, trigger: Trigger, *, max_body: int = MAX_BODY,
                  clock: Callable[[], float] = time.time) -> APIRouter:
    receiver = Receiver(lookup, store, trigger, clock=clock)
    router = APIRouter(tags=["webhooks"])

    @router.post("/basware/{tenant_id}")
    async def basware_notification(tenant_id: str, request: Request) -> JSONResponse:
        body = await _read_body(request, max_body)  # the signature covers the raw bytes, unparsed
        if body is None:
            return _answer(413, detail="body too large for a notification")
        # Store and trigger calls block (database): off the event loop.
        return await run_in_threadpool(receiver.handle, tenant_id, request.headers, body)

    return router


def create_app(lookup: TenantLookup, store: StoreGetter, trigger: Trigger, **kwargs: Any) -> FastAPI:
    app = FastAPI(title="ml-connector webhooks", docs_url=None, redoc_url=None, openapi_url=None)
    app.include_router(create_router(lookup, store, trigger, **kwargs))
    return app
