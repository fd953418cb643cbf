"""`/_sandbox/ifs/...`: settings, tokens, request log, mutations without If-Match, clock, proposals and
"another user" edits."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Body
from pydantic import ValidationError
from starlette.responses import Response

from mlc_sandbox.faults import ADMIN_PREFIX
from mlc_sandbox.ifs import control, edm
from mlc_sandbox.ifs.context import SimContext
from mlc_sandbox.ifs.errors import IfsError


def _json(data: Any, status: int = 200) -> Response:
    return Response(json.dumps(data, default=edm.to_json), status_code=status, media_type="application/json")


def admin_router(ctx: SimContext) -> APIRouter:
    router = APIRouter(prefix=f"{ADMIN_PREFIX}/ifs", tags=["sandbox"])
    _settings_and_tokens(router, ctx)
    _data(router, ctx)
    _record_routes(router, ctx)
    return router


def _settings_and_tokens(router: APIRouter, ctx: SimContext) -> None:
    @router.get("/settings")
    def get_settings() -> Response:
        return _json(ctx.settings.model_dump(mode="json"))

    @router.patch("/settings")
    def patch_settings(changes: dict[str, Any] = Body(...)) -> Response:  # noqa: B008
        try:
            control.update_settings(ctx, changes)
        except (ValidationError, ValueError) as exc:
            raise IfsError(400, "SANDBOX_BAD_SETTING", str(exc)) from None
        return _json(ctx.settings.model_dump(mode="json"))

    @router.get("/tokens")
    def tokens() -> Response:
        return _json({"token_requests": ctx.tokens.token_requests, "tokens_issued": ctx.tokens.tokens_issued,
                      "active_tokens": ctx.tokens.active()})

    @router.post("/tokens/revoke")
    def revoke() -> Response:
        return _json({"revoked": ctx.tokens.revoke_all()})


def _data(router: APIRouter, ctx: SimContext) -> None:
    @router.post("/clock/advance")
    def advance(seconds: float = Body(..., embed=True)) -> Response:
        return _json({"now": ctx.clock.advance(seconds)})

    @router.get("/proposals")
    def proposals() -> Response:
        return _json(control.proposals(ctx))

    @router.get("/proposals/external-refs")
    def external_refs() -> Response:
        return _json(control.proposal_counts(ctx))

    @router.post("/modify")
    def modify(entity_set: str = Body(...), key: dict[str, Any] = Body(...),  # noqa: B008
               changes: dict[str, Any] = Body(default_factory=dict)) -> Response:  # noqa: B008
        """Change (or just touch) an entity as another IFS user: its ETag changes under the client."""
        return _json(control.modify_as_other_user(ctx, entity_set, key, changes))


def _record_routes(router: APIRouter, ctx: SimContext) -> None:
    """What the simulator recorded: the request log, and the mutations that came without If-Match."""

    @router.get("/requests")
    def requests() -> Response:
        return _json(ctx.log.entries())

    @router.delete("/requests", status_code=204)
    def clear_requests() -> None:
        ctx.log.clear()

    @router.get("/mutations-without-if-match")
    def mutations_without_if_match() -> Response:
        return _json(ctx.unguarded.entries())

    @router.delete("/mutations-without-if-match", status_code=204)
    def clear_mutations_without_if_match() -> None:
        ctx.unguarded.clear()
