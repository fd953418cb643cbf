"""The IFS Cloud simulator: FastAPI app plus inspection helpers for tests and the demo."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from .. import faults
from ..faults import FaultInjector, FaultMiddleware
from ..seed import Dataset
from . import seeding, writes
from .admin import admin_router
from .auth import TokenService, token_router
from .bodies import coerce
from .clock import SimClock
from .entities import BY_SET, INVOICE, POSTING
from .errors import IfsError, bad_query, error_response, not_found
from .handlers import ODataHandler
from .requestlog import RequestLog, RequestLogMiddleware
from .respond import entity_json
from .rules import Context
from .settings import IfsSettings
from .store import Database

log = logging.getLogger(__name__)


class IfsSimulator:
    def __init__(self, dataset: Dataset, injector: FaultInjector | None = None,
                 settings: IfsSettings | None = None) -> None:
        self.dataset = dataset
        self.settings = (settings or IfsSettings()).model_copy(deep=True)
        self.injector = injector or FaultInjector()
        self.clock = SimClock(self.settings.clock_start or dataset.config.anchor)
        self.db = Database(self.clock)
        seeding.load(self.db, dataset, self.settings.service_user)
        self.tokens = TokenService(self.settings, self.clock, self.injector)
        self.log = RequestLog()
        self.app = self._build_app()
        log.info("IFS sandbox ready: %d suppliers, %d companies", len(dataset.ifs_suppliers),
                 len(dataset.companies))

    def _build_app(self) -> FastAPI:
        app = FastAPI(title="IFS Cloud sandbox", docs_url=None, redoc_url=None, openapi_url=None)
        app.add_exception_handler(IfsError, _ifs_error)
        app.add_exception_handler(StarletteHTTPException, _http_error)
        app.add_exception_handler(RequestValidationError, _validation_error)
        app.add_exception_handler(Exception, _internal_error)
        app.include_router(token_router(self.tokens))
        app.include_router(admin_router(self))
        app.include_router(faults.admin_router(self.injector))
        handler = ODataHandler(self)

        async def odata(request: Request, tier: str, rest: str) -> Response:
            return await handler(request, tier, rest)

        app.add_api_route("/{tier}/ifsapplications/projection/v1/{rest:path}", odata,
                          methods=["GET", "POST", "PATCH", "DELETE", "PUT"])
        # Last added runs first: every request gets an id and a log line, faults included.
        app.add_middleware(FaultMiddleware, injector=self.injector, system="ifs")
        app.add_middleware(RequestLogMiddleware, log=self.log)
        return app

    # -- runtime control ----------------------------------------------------------------------------
    def update_settings(self, **changes: Any) -> IfsSettings:
        for name, value in changes.items():
            if name not in IfsSettings.model_fields:
                raise ValueError(f"unknown setting {name!r}")
            setattr(self.settings, name, value)  # validated: validate_assignment
        return self.settings

    def revoke_tokens(self) -> int:
        return self.tokens.revoke_all()

    def advance_clock(self, seconds: float) -> datetime:
        return self.clock.advance(seconds)

    # -- inspection ---------------------------------------------------------------------------------
    @property
    def token_requests(self) -> int:
        return self.tokens.token_requests

    def requests(self) -> list[dict[str, Any]]:
        return self.log.entries()

    def wildcard_if_match_requests(self) -> list[dict[str, Any]]:
        """Requests that switched optimistic locking off; the connector must never send one."""
        return [e for e in self.log.entries() if (e["if_match"] or "").strip() == "*"]

    def proposals(self) -> list[dict[str, Any]]:
        with self.db.lock:
            out = []
            for inv in self.db.all_rows(INVOICE.entity_set):
                rows = self.db.store(POSTING.entity_set).where(Company=inv.values["Company"],
                                                               InvoiceId=inv.values["InvoiceId"])
                rows.sort(key=lambda r: r.values["RowNo"])
                out.append({**entity_json(INVOICE, inv), "rows": [entity_json(POSTING, r) for r in rows]})
            return out

    def proposal_counts(self) -> dict[str, int]:
        """Proposals per ExternalRef (the Basware invoice id): a count above 1 is a duplicate."""
        counts: dict[str, int] = {}
        with self.db.lock:
            for inv in self.db.all_rows(INVOICE.entity_set):
                ref = inv.values.get("ExternalRef")
                if ref:
                    counts[ref] = counts.get(ref, 0) + 1
        return counts

    def duplicate_proposals(self) -> dict[str, int]:
        return {ref: n for ref, n in self.proposal_counts().items() if n > 1}

    def entity(self, entity_set: str, **key: Any) -> dict[str, Any] | None:
        """One entity as the API shows it (None if absent), ignoring company grants."""
        etype = BY_SET[entity_set]
        with self.db.lock:
            row = self.db.store(entity_set).get(tuple(key[k] for k in etype.keys))
            return entity_json(etype, row) if row else None

    def modify_as_other_user(self, entity_set: str, key: dict[str, Any],
                             changes: dict[str, Any] | None = None) -> dict[str, Any]:
        """Another IFS user saves the entity (with `changes`, or unchanged): its ETag moves on."""
        etype = BY_SET.get(entity_set)
        if etype is None:
            raise not_found(f"Entity set {entity_set} does not exist.")
        missing = [k for k in etype.keys if k not in key]
        if missing:
            raise bad_query(f"key {', '.join(missing)} missing", "key")
        values = coerce(etype, changes or {}, insert=False)
        ctx = Context(self.db, self.settings, self.settings.other_user)
        with self.db.lock:
            row = self.db.store(entity_set).get(tuple(key[k] for k in etype.keys))
            if row is None:
                raise not_found(f"The {etype.lu_name} does not exist.")
            writes.update(ctx, etype, row, values, validate=False)
            return entity_json(etype, row)


async def _ifs_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, IfsError)
    return error_response(exc)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    code = {404: "ODP_RESOURCE_NOTFOUND", 405: "ODP_METHOD_NOT_ALLOWED"}.get(exc.status_code, "ODP_ERROR")
    return error_response(IfsError(exc.status_code, code, str(exc.detail)))


async def _internal_error(request: Request, exc: Exception) -> Response:
    # A simulator bug: answer like IFS would (500 with an error body); uvicorn still logs the traceback.
    return error_response(IfsError(500, "ODP_INTERNAL_ERROR", f"Internal error: {type(exc).__name__}"))


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    details = [{"code": "VALIDATION", "message": str(e.get("msg")),
                "target": ".".join(str(p) for p in e.get("loc", ()))} for e in exc.errors()]
    return error_response(IfsError(400, "ODP_BAD_REQUEST", "Malformed Request.", details))
