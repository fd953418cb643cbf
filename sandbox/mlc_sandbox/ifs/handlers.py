"""OData requests under `/{main|int}/ifsapplications/projection/v1/{Projection}.svc/...`: the bearer
token, the projection, then `$batch` or one request (see dispatch)."""

from __future__ import annotations

import re

from fastapi import APIRouter, Request
from starlette.responses import Response

from mlc_sandbox.ifs import batch
from mlc_sandbox.ifs.context import SimContext
from mlc_sandbox.ifs.dispatch import dispatch
from mlc_sandbox.ifs.errors import not_found
from mlc_sandbox.ifs.odata_request import ODataRequest

_SVC = re.compile(r"(?P<projection>[A-Za-z_]\w*)\.svc(?P<path>/.*)?")
TIERS = ("main", "int")


def odata_router(ctx: SimContext) -> APIRouter:
    router = APIRouter()

    @router.api_route("/{tier}/ifsapplications/projection/v1/{rest:path}",
                      methods=["GET", "POST", "PATCH", "DELETE", "PUT"])
    async def odata(request: Request, tier: str, rest: str) -> Response:
        # The routing path keeps %2F encoded: a raw '/' separates segments, an encoded one is key data.
        kept = request.scope["path"].partition("/ifsapplications/projection/v1/")[2]
        return await _handle(ctx, request, tier, kept or rest)

    return router


async def _handle(ctx: SimContext, request: Request, tier: str, rest: str) -> Response:
    if tier not in TIERS:
        raise not_found(f"No resource at /{tier}/.")
    ctx.tokens.authenticate(request)
    match = _SVC.fullmatch(rest)
    if not match or not ctx.db.schema.projection_sets(match["projection"]):
        raise not_found(f"Projection {rest.split('/')[0]!r} does not exist.")
    projection = match["projection"]
    root = f"{str(request.base_url).rstrip('/')}/{tier}/ifsapplications/projection/v1/{projection}.svc"
    req = ODataRequest(
        method=request.method, projection=projection, root=root, path=match["path"] or "",
        params=request.query_params.multi_items(), headers={k.lower(): v for k, v in request.headers.items()},
        body=await request.body(), request_id=getattr(request.state, "request_id", None))
    if req.path.rstrip("/") == "/$batch":
        return batch.handle(ctx, req)
    return dispatch(ctx, req)
