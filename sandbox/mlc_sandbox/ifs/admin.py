"""`/_sandbox/ifs/...`: settings, tokens, request log, clock, proposals and "another user" edits."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Body
from pydantic import ValidationError
from starlette.responses import Response

from ..faults import ADMIN_PREFIX
from . import edm
from .errors import IfsError

if TYPE_CHECKING:
    from .app import IfsSimulator


def _json(data: Any, status: int = 200) -> Response:
    return Response(json.dumps(data, default=edm.to_json), status_code=status, media_type="application/json")


def admin_router(sim: IfsSimulator) -> APIRouter:
    router = APIRouter(prefix=f"{ADMIN_PREFIX}/ifs", tags=["sandbox"])

    @router.get("/settings")
    def get_settings() -> Response:
        return _json(sim.settings.model_dump(mode="json"))

    @router.patch("/settings")
    def patch_settings(changes: dict[str, Any] = Body(...)) -> Response:  # noqa: B008
        try:
            sim.update_settings(**changes)
        except (ValidationError, ValueError) as exc:
            raise IfsError(400, "SANDBOX_BAD_SETTING", str(exc)) from None
        return _json(sim.settings.model_dump(mode="json"))

    @router.get("/tokens")
    def tokens() -> Response:
        return _json({"token_requests": sim.token_requests, "tokens_issued": sim.tokens.tokens_issued,
                      "active_tokens": sim.tokens.active()})

    @router.post("/tokens/revoke")
    def revoke() -> Response:
        return _json({"revoked": sim.revoke_tokens()})

    @router.get("/requests")
    def requests() -> Response:
        return _json(sim.requests())

    @router.delete("/requests", status_code=204)
    def clear_requests() -> None:
        sim.log.clear()

    @router.post("/clock/advance")
    def advance(seconds: float = Body(..., embed=True)) -> Response:  # noqa: B008
        return _json({"now": sim.advance_clock(seconds)})

    @router.get("/proposals")
    def proposals() -> Response:
        return _json(sim.proposals())

    @router.get("/proposals/external-refs")
    def external_refs() -> Response:
        return _json(sim.proposal_counts())

    @router.post("/modify")
    def modify(entity_set: str = Body(...), key: dict[str, Any] = Body(...),  # noqa: B008
               changes: dict[str, Any] = Body(default_factory=dict)) -> Response:  # noqa: B008
        """Change (or just touch) an entity as another IFS user: its ETag changes under the client."""
        return _json(sim.modify_as_other_user(entity_set, key, changes))

    return router
