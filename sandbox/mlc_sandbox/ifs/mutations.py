"""POST (create), PATCH (update, or upsert without If-Match), DELETE: each under the database lock."""

from __future__ import annotations

import logging
from typing import Any

from starlette.responses import Response

from mlc_sandbox.ifs import writes
from mlc_sandbox.ifs.addressing import Target
from mlc_sandbox.ifs.bodies import coerce, parse_json
from mlc_sandbox.ifs.context import SimContext
from mlc_sandbox.ifs.errors import IfsError, not_found
from mlc_sandbox.ifs.model import EntityType
from mlc_sandbox.ifs.odata_request import ODataRequest
from mlc_sandbox.ifs.resource import format_key
from mlc_sandbox.ifs.respond import context_url, entity_json, odata_response
from mlc_sandbox.ifs.rules import Context
from mlc_sandbox.ifs.store import Row

log = logging.getLogger(__name__)


def as_user(ctx: SimContext, other_user: bool = False) -> Context:
    settings = ctx.settings
    return Context(ctx.db, settings, settings.other_user if other_user else settings.service_user)


def post(ctx: SimContext, req: ODataRequest, target: Target) -> Response:
    etype = target.etype
    if not etype.insertable:
        raise IfsError(405, "ODP_METHOD_NOT_ALLOWED", f"{etype.entity_set} is read-only.")
    values = coerce(etype, parse_json(req.body, req.header("content-type")), insert=True, fixed=target.fixed)
    return _created(ctx, req, etype, values)


def _created(ctx: SimContext, req: ODataRequest, etype: EntityType, values: dict[str, Any]) -> Response:
    with ctx.db.lock:
        row = writes.create(as_user(ctx), etype, values)
        body = entity_body(req.root, etype, row)
    location = f"{req.root}/{etype.entity_set}({format_key(etype, row.values)})"
    headers = {"ETag": row.etag, "Location": location}
    if req.prefers("return=minimal"):
        return Response(status_code=204, headers={**headers, "Preference-Applied": "return=minimal"})
    return odata_response(body, status=201, headers=headers)


def patch(ctx: SimContext, req: ODataRequest, target: Target) -> Response:
    etype, row = target.etype, target.row
    if row is None:
        return _upsert_create(ctx, req, target)
    if not etype.updatable:
        raise IfsError(405, "ODP_METHOD_NOT_ALLOWED", f"{etype.entity_set} is read-only.")
    changes = coerce(etype, parse_json(req.body, req.header("content-type")), insert=False)
    with ctx.db.lock:
        check_etag(ctx, req, etype, row)
        writes.update(as_user(ctx), etype, row, changes)
        body = entity_body(req.root, etype, row)
    if req.prefers("return=representation"):
        applied = "return=representation"
        return odata_response(body, headers={"ETag": row.etag, "Preference-Applied": applied})
    return Response(status_code=204, headers={"ETag": row.etag, "OData-Version": "4.0"})


def _upsert_create(ctx: SimContext, req: ODataRequest, target: Target) -> Response:
    """PATCH without If-Match on an absent key creates the entity (IFS "Entity Upserts")."""
    etype, key = target.etype, target.absent_key or {}
    # IFS docs are silent on keys a server sequence assigns (InvoiceId, RowNo): a client cannot choose
    # them, so the simulator creates nothing there and answers as for any absent entity.
    if not etype.insertable or any(p.read_only for p in map(etype.prop, etype.keys) if p):
        raise not_found(f"The {etype.lu_name} with key ({format_key(etype, key)}) does not exist.")
    body = parse_json(req.body, req.header("content-type"))
    values = coerce(etype, body, insert=True, fixed={**target.fixed, **key})
    return _created(ctx, req, etype, values)


def delete(ctx: SimContext, req: ODataRequest, target: Target) -> Response:
    etype, row = target.etype, target.row
    assert row is not None
    if not etype.deletable:
        raise IfsError(405, "ODP_METHOD_NOT_ALLOWED", f"{etype.entity_set} is read-only.")
    with ctx.db.lock:
        check_etag(ctx, req, etype, row)
        writes.delete(as_user(ctx), etype, row)
    return Response(status_code=204, headers={"OData-Version": "4.0"})


def check_etag(ctx: SimContext, req: ODataRequest, etype: EntityType, row: Row) -> None:
    if ctx.injector.take("ifs", "concurrent_write", req.method, req.url_path):
        # Another user saves the row just before us: its Objversion, so its ETag, moves on.
        writes.update(as_user(ctx, other_user=True), etype, row, {}, validate=False)
    if_match = (req.header("if-match") or "").strip()
    if not if_match:
        # Only reached in upsert mode (reject mode answered 428 earlier): no concurrency check at all,
        # so the other user's change above is silently overwritten, as in IFS 23R2-25R1. DELETE: IFS
        # docs are silent; the simulator assumes the same (the worst case for a client).
        return
    if if_match == "*":
        log.warning("IFS sandbox: If-Match * on %s %s skips optimistic locking", req.method, req.url_path)
        return
    if row.etag not in [tag.strip() for tag in if_match.split(",")]:
        raise IfsError(412, "ODP_PRECONDITION_FAILED",
                       "The object has been modified by another user. Refresh the object and reenter "
                       "your changes.")


def entity_body(root: str, etype: EntityType, row: Row) -> dict[str, Any]:
    return {"@odata.context": context_url(root, etype.entity_set) + "/$entity", **entity_json(etype, row)}
