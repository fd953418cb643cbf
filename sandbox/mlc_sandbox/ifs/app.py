"""`IfsSimulator`: the IFS Cloud OData API as a FastAPI app, over the shared seed data and fault injector."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from fastapi import FastAPI

from mlc_sandbox import faults
from mlc_sandbox.faults import FaultInjector, FaultMiddleware
from mlc_sandbox.ifs import control, errors, seeding
from mlc_sandbox.ifs.admin import admin_router
from mlc_sandbox.ifs.auth import TokenService, token_router
from mlc_sandbox.ifs.clock import SimClock
from mlc_sandbox.ifs.context import SimContext
from mlc_sandbox.ifs.entities import Schema
from mlc_sandbox.ifs.handlers import odata_router
from mlc_sandbox.ifs.profiles import DEFAULT_PROFILE, Names, names_for
from mlc_sandbox.ifs.settings import IfsSettings
from mlc_sandbox.ifs.store import Database
from mlc_sandbox.raw_path import route_on_raw_path
from mlc_sandbox.request_log import RequestLog, RequestLogMiddleware
from mlc_sandbox.seed import Dataset

log = logging.getLogger(__name__)

# The client sends its own request id in X-Request-Id and gets the simulator's back in the same header.
REQUEST_ID_HEADER = "x-request-id"


class IfsSimulator:
    def __init__(self, dataset: Dataset, injector: FaultInjector | None = None,
                 settings: IfsSettings | None = None, profile: str = DEFAULT_PROFILE) -> None:
        """`profile`: the naming profile served (profiles.py): the same behaviour under other names."""
        self.dataset = dataset
        self.schema = Schema(names_for(profile))
        self.settings = (settings or IfsSettings()).model_copy(deep=True)
        self.injector = injector or FaultInjector()
        clock = SimClock(self.settings.clock_start or dataset.config.anchor)
        db = Database(clock, self.schema)
        seeding.load(db, dataset, self.settings.service_user)
        tokens = TokenService(self.settings, clock, self.injector)
        self.ctx = SimContext(dataset=dataset, settings=self.settings, injector=self.injector, clock=clock,
                              db=db, tokens=tokens, log=RequestLog())
        self.app = self._build_app()
        log.info("IFS sandbox ready (profile %s): %d suppliers, %d companies", profile,
                 len(dataset.ifs_suppliers), len(dataset.companies))

    def _build_app(self) -> FastAPI:
        app = FastAPI(title="IFS Cloud sandbox", docs_url=None, redoc_url=None, openapi_url=None)
        errors.install(app)
        ctx = self.ctx
        for router in (token_router(ctx.tokens), admin_router(ctx), faults.admin_router(self.injector),
                       odata_router(ctx)):
            app.include_router(router)
        # Added innermost first: the request-log layer is outermost, so even injected faults get an id.
        app.add_middleware(FaultMiddleware, injector=self.injector, system="ifs")
        app.add_middleware(RequestLogMiddleware, log=ctx.log, client_header=REQUEST_ID_HEADER,
                           response_header=REQUEST_ID_HEADER)
        route_on_raw_path(app)
        return app

    # -- the parts tests reach into -----------------------------------------------------------------
    @property
    def profile(self) -> str:
        return self.schema.names.profile

    @property
    def names(self) -> Names:
        """The IFS names this simulator serves (its own copy, never the connector's field map)."""
        return self.schema.names

    @property
    def clock(self) -> SimClock:
        return self.ctx.clock

    @property
    def db(self) -> Database:
        return self.ctx.db

    @property
    def tokens(self) -> TokenService:
        return self.ctx.tokens

    @property
    def log(self) -> RequestLog:
        return self.ctx.log

    # -- runtime control ----------------------------------------------------------------------------
    def update_settings(self, **changes: Any) -> IfsSettings:
        return control.update_settings(self.ctx, changes)

    def revoke_tokens(self) -> int:
        return self.ctx.tokens.revoke_all()

    def advance_clock(self, seconds: float) -> datetime:
        return self.ctx.clock.advance(seconds)

    def modify_as_other_user(self, entity_set: str, key: dict[str, Any],
                             changes: dict[str, Any] | None = None) -> dict[str, Any]:
        """Another IFS user saves the entity (with `changes`, or unchanged): its ETag moves on."""
        return control.modify_as_other_user(self.ctx, entity_set, key, changes)

    # -- inspection helpers for tests and the demo -----------------------------------------------
    @property
    def token_requests(self) -> int:
        return self.ctx.tokens.token_requests

    def requests(self) -> list[dict[str, Any]]:
        return self.ctx.log.entries()

    def wildcard_if_match_requests(self) -> list[dict[str, Any]]:
        """Requests that switched optimistic locking off; the connector must never send one."""
        return [e for e in self.ctx.log.entries() if (e["if_match"] or "").strip() == "*"]

    def mutations_without_if_match(self) -> list[dict[str, Any]]:
        """PATCH/PUT/DELETE/bound actions that arrived without If-Match ($batch parts included), whatever
        was answered: in IFS 23R2-25R1 each is a silent overwrite. The connector must never send one."""
        return self.ctx.unguarded.entries()

    def proposals(self) -> list[dict[str, Any]]:
        return control.proposals(self.ctx)

    def proposal_counts(self) -> dict[str, int]:
        """Proposals per external reference (the Basware invoice id): a count above 1 is a duplicate."""
        return control.proposal_counts(self.ctx)

    def duplicate_proposals(self) -> dict[str, int]:
        return {ref: n for ref, n in self.proposal_counts().items() if n > 1}

    def entity(self, entity_set: str, **key: Any) -> dict[str, Any] | None:
        """One entity as the API shows it (None if absent), ignoring company grants."""
        return control.entity(self.ctx, entity_set, key)
