"""`BaswareSimulator`: the Basware P2P API as a FastAPI app, over the shared seed data and fault injector."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI

from mlc_sandbox import faults
from mlc_sandbox.basware import errors
from mlc_sandbox.basware.admin import admin_router
from mlc_sandbox.basware.auth import BearerAuth, TokenStore, tokens_router
from mlc_sandbox.basware.body_limit import BodyLimitMiddleware
from mlc_sandbox.basware.clock import Clock
from mlc_sandbox.basware.context import SimContext
from mlc_sandbox.basware.document_store import DocumentStore
from mlc_sandbox.basware.documents import documents_router
from mlc_sandbox.basware.masterdata import masterdata_router
from mlc_sandbox.basware.masterdata_store import MasterDataStore
from mlc_sandbox.basware.paging import ContinuationStore
from mlc_sandbox.basware.presigned import Bucket, presigned_router
from mlc_sandbox.basware.request_status import RequestStatusStore, request_status_router
from mlc_sandbox.basware.settings import BaswareSettings
from mlc_sandbox.basware.subscriptions import SubscriptionStore, notification, subscriptions_router
from mlc_sandbox.basware.vendor_store import VendorStore
from mlc_sandbox.basware.vendors import vendors_router
from mlc_sandbox.basware.webhooks import WebhookDispatcher
from mlc_sandbox.faults import FaultInjector, FaultMiddleware
from mlc_sandbox.raw_path import route_on_raw_path
from mlc_sandbox.request_log import RequestLog, RequestLogMiddleware
from mlc_sandbox.seed import Dataset

log = logging.getLogger(__name__)

# Basware's gateway (AWS) answers every call with this id; the client's own id goes in request_id_header.
RESPONSE_REQUEST_ID = "x-amzn-RequestId"


class BaswareSimulator:
    def __init__(self, dataset: Dataset, injector: FaultInjector | None = None,
                 settings: BaswareSettings | None = None) -> None:
        self.dataset = dataset
        self.injector = injector or FaultInjector()
        self.settings = settings or BaswareSettings()
        clock = Clock()
        tokens = TokenStore(self.settings)
        self.ctx = SimContext(
            dataset=dataset, settings=self.settings, injector=self.injector, clock=clock, log=RequestLog(),
            tokens=tokens, auth=BearerAuth(tokens, self.injector), continuations=ContinuationStore(),
            bucket=Bucket(self.settings),
            documents=DocumentStore(dataset, clock, self.settings, on_waiting=self._on_waiting),
            vendors=VendorStore(dataset, clock), masterdata=MasterDataStore(dataset, clock),
            request_status=RequestStatusStore(self.settings, clock), subscriptions=SubscriptionStore(),
            webhooks=WebhookDispatcher(self.settings, self.injector),
        )
        self.app = self._build_app()
        log.info("Basware simulator ready: %d documents, %d vendors", len(self.ctx.documents),
                 len(dataset.basware_vendors))

    def _build_app(self) -> FastAPI:
        app = FastAPI(title="Basware P2P API (sandbox)", docs_url="/_sandbox/basware/docs",
                      openapi_url="/_sandbox/basware/openapi.json", redoc_url=None)
        errors.install(app)
        ctx = self.ctx
        for router in (tokens_router(ctx.tokens), documents_router(ctx), presigned_router(ctx.bucket),
                       vendors_router(ctx), masterdata_router(ctx), request_status_router(ctx),
                       subscriptions_router(ctx), admin_router(ctx), faults.admin_router(self.injector)):
            app.include_router(router)
        # Added innermost first: the request-id layer is outermost, so even injected faults and 413s get one.
        app.add_middleware(FaultMiddleware, injector=self.injector, system="basware")
        app.add_middleware(BodyLimitMiddleware, limit=lambda: self.settings.max_body_bytes)
        app.add_middleware(RequestLogMiddleware, log=ctx.log, client_header=self.settings.request_id_header,
                           response_header=RESPONSE_REQUEST_ID)
        quiet_dropped_connections()
        route_on_raw_path(app)
        return app

    def _on_waiting(self, task: dict[str, Any]) -> None:
        for target in self.ctx.subscriptions.targets(task["taskType"], task["taskSubType"]):
            self.ctx.webhooks.enqueue(self.ctx.webhooks.build(target, notification(task)))

    # -- inspection helpers for tests and the demo -----------------------------------------------
    @property
    def request_log(self) -> list[dict[str, Any]]:
        return self.ctx.log.entries()

    def document_status(self, invoice_id: str) -> str | None:
        return self.ctx.documents.status(invoice_id)

    def document_state(self, invoice_id: str) -> dict[str, Any]:
        return self.ctx.documents.state(invoice_id)

    def add_documents(self, count: int, invalid_kind: str | None = None) -> list[str]:
        return self.ctx.documents.add_generated(count, invalid_kind)

    def set_document_status(self, invoice_id: str, status: str) -> None:
        self.ctx.documents.set_status(invoice_id, status)

    def vendor(self, external_code: str) -> dict[str, Any] | None:
        record = self.ctx.vendors.get(external_code, api_only=False)
        return None if record is None else record.admin_view()

    def masterdata(self, entity: str, code: str) -> dict[str, Any] | None:
        return self.ctx.masterdata.get(entity, code)

    @property
    def webhook_deliveries(self) -> list[dict[str, Any]]:
        return self.ctx.webhooks.deliveries()

    def wait_for_webhooks(self, timeout: float = 10.0) -> bool:
        return self.ctx.webhooks.wait_idle(timeout)

    def close(self) -> None:
        self.ctx.webhooks.close()


class _DroppedConnectionFilter(logging.Filter):
    """The injected "drop" fault raises on purpose; its traceback in uvicorn's log is noise."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        return not (isinstance(exc, ConnectionAbortedError) and "sandbox fault" in str(exc))


def quiet_dropped_connections() -> None:
    logger = logging.getLogger("uvicorn.error")
    if not any(isinstance(f, _DroppedConnectionFilter) for f in logger.filters):
        logger.addFilter(_DroppedConnectionFilter())
