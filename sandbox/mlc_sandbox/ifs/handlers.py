"""OData requests under `/{main|int}/ifsapplications/projection/v1/{Projection}.svc/...`.

Order of checks follows the gateway, then Olingo, then PL/SQL: bearer token (401), projection and
path (404/400), missing If-Match (428 ODP_MISSING_PRECONDITION), body (400), ETag (412), rules (400).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Request
from starlette.responses import Response

from mlc_sandbox.ifs import writes
from mlc_sandbox.ifs.bodies import coerce, parse_json
from mlc_sandbox.ifs.context import SimContext
from mlc_sandbox.ifs.errors import IfsError, bad_query, not_found
from mlc_sandbox.ifs.metadata import csdl, service_document
from mlc_sandbox.ifs.model import EntityType
from mlc_sandbox.ifs.query import parse_options, run
from mlc_sandbox.ifs.resource import Segment, format_key, key_values, parse_path
from mlc_sandbox.ifs.respond import context_url, entity_json, odata_response
from mlc_sandbox.ifs.rules import Context
from mlc_sandbox.ifs.store import Row

log = logging.getLogger(__name__)
_SVC = re.compile(r"(?P<projection>[A-Za-z_]\w*)\.svc(?P<path>/.*)?")
TIERS = ("main", "int")


@dataclass
class Target:
    etype: EntityType
    fragment: str  # @odata.context fragment
    row: Row | None = None  # set when a key addresses one entity
    fixed: dict[str, Any] = field(default_factory=dict)  # navigation: the parent's part of the key
    count: bool = False


def odata_router(ctx: SimContext) -> APIRouter:
    router = APIRouter()

    @router.api_route("/{tier}/ifsapplications/projection/v1/{rest:path}",
                      methods=["GET", "POST", "PATCH", "DELETE", "PUT"])
    async def odata(request: Request, tier: str, rest: str) -> Response:
        return await _handle(ctx, request, tier, rest)

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
    segments = parse_path(match["path"] or "")
    method = request.method
    if not segments or segments[0].name == "$metadata":
        if method != "GET" or len(segments) > 1 or (segments and segments[0].key):
            raise IfsError(405, "ODP_METHOD_NOT_ALLOWED", f"{method} is not allowed here.")
        if not segments:
            return odata_response(service_document(ctx.db.schema, projection, root))
        return Response(csdl(ctx.db.schema, projection), media_type="application/xml", headers={"OData-Version": "4.0"})
    if method in ("PATCH", "DELETE") and not request.headers.get("if-match"):
        raise IfsError(ctx.settings.missing_precondition_status, "ODP_MISSING_PRECONDITION",
                       "The request is missing a precondition: send the entity's ETag in If-Match.")
    target = _resolve(ctx, projection, segments)
    if method == "GET":
        return _get(ctx, request, target, root)
    if method == "POST" and target.row is None and not target.count:
        return await _post(ctx, request, target, root)
    if method == "PATCH" and target.row is not None:
        return await _patch(ctx, request, target, root)
    if method == "DELETE" and target.row is not None:
        return _delete(ctx, request, target)
    raise IfsError(405, "ODP_METHOD_NOT_ALLOWED", f"{method} is not allowed on {target.fragment}.")


# -- addressing ------------------------------------------------------------------------------------
def _resolve(ctx: SimContext, projection: str, segments: list[Segment]) -> Target:
    first = segments[0]
    etype = ctx.db.schema.by_set.get(first.name)
    if etype is None or etype.projection != projection:
        raise not_found(f"Resource not found for the segment '{first.name}'.")
    target = Target(etype, etype.entity_set)
    if first.key is not None:
        target.row = _row(ctx, etype, first, {})
    for segment in segments[1:]:
        if segment.name == "$count" and target.row is None and not target.count and segment.key is None:
            target.count = True
            continue
        nav = target.etype.nav(segment.name) if target.row is not None and not target.count else None
        if nav is None or target.row is None:
            raise not_found(f"Resource not found for the segment '{segment.name}'.")
        parent = target.row
        child = ctx.db.schema.by_set[nav.target]
        fixed = {t: parent.values[s] for t, s in nav.key_map} | dict(nav.constants)
        target = Target(child, child.entity_set, fixed=fixed)
        if segment.key is not None:
            target.row = _row(ctx, child, segment, fixed)
    return target


def _row(ctx: SimContext, etype: EntityType, segment: Segment, fixed: dict[str, Any]) -> Row:
    key = key_values(etype, segment, fixed)
    row = ctx.db.store(etype.entity_set).get(key) if key else None
    if row is None or not _visible(ctx, etype, row) or any(row.values[k] != v for k, v in fixed.items()):
        raise not_found(f"The {etype.lu_name} with key ({format_key(etype, dict(zip(etype.keys, key, strict=False)))}) "
                        "does not exist." if key else f"No such {etype.lu_name}.")
    return row


def _visible(ctx: SimContext, etype: EntityType, row: Row) -> bool:
    # Rows of companies the service user is not granted are simply not there: no error, no hint.
    return etype.company_prop is None or ctx.settings.company_granted(row.values[etype.company_prop])


def _rows(ctx: SimContext, target: Target) -> list[Row]:
    rows = ctx.db.store(target.etype.entity_set).rows.values()
    return [r for r in rows if _visible(ctx, target.etype, r)
            and all(r.values.get(k) == v for k, v in target.fixed.items())]


# -- reads -----------------------------------------------------------------------------------------
def _get(ctx: SimContext, request: Request, target: Target, root: str) -> Response:
    etype = target.etype
    params = request.query_params.multi_items()
    if target.row is not None:
        opts = parse_options(params, etype, allow_paging=False)
        with ctx.db.lock:
            entity = {"@odata.context": context_url(root, etype.entity_set, opts.select) + "/$entity",
                      **entity_json(etype, target.row, opts.select)}
        return odata_response(entity, headers={"ETag": target.row.etag})
    opts = parse_options(params, etype)
    size, applied = _page_size(request.headers.get("prefer"), ctx.settings.page_limit)
    if opts.top is not None:  # Prefer sizes server pages; an explicit $top only meets the hard limit
        size, applied = ctx.settings.page_limit, None
    with ctx.db.lock:
        page = run(_rows(ctx, target), etype, opts, size)
        if target.count:
            return Response(str(page.count), media_type="text/plain", headers={"OData-Version": "4.0"})
        body: dict[str, Any] = {"@odata.context": context_url(root, target.fragment, opts.select)}
        if opts.count:
            body["@odata.count"] = page.count
        body["value"] = [entity_json(etype, r, opts.select) for r in page.rows]
    if page.next_token:
        body["@odata.nextLink"] = _next_link(request, page.next_token)
    return odata_response(body, headers={"Preference-Applied": applied} if applied else None)


# -- writes ----------------------------------------------------------------------------------------
def _as_user(ctx: SimContext, other_user: bool = False) -> Context:
    settings = ctx.settings
    return Context(ctx.db, settings, settings.other_user if other_user else settings.service_user)


async def _post(ctx: SimContext, request: Request, target: Target, root: str) -> Response:
    etype = target.etype
    if not etype.insertable:
        raise IfsError(405, "ODP_METHOD_NOT_ALLOWED", f"{etype.entity_set} is read-only.")
    values = coerce(etype, parse_json(await request.body(), request.headers.get("content-type")),
                    insert=True, fixed=target.fixed)
    with ctx.db.lock:
        row = writes.create(_as_user(ctx), etype, values)
        body = _entity_body(root, etype, row)
    location = f"{root}/{etype.entity_set}({format_key(etype, row.values)})"
    headers = {"ETag": row.etag, "Location": location}
    if _prefers(request, "return=minimal"):
        return Response(status_code=204, headers={**headers, "Preference-Applied": "return=minimal"})
    return odata_response(body, status=201, headers=headers)


async def _patch(ctx: SimContext, request: Request, target: Target, root: str) -> Response:
    etype, row = target.etype, target.row
    assert row is not None
    if not etype.updatable:
        raise IfsError(405, "ODP_METHOD_NOT_ALLOWED", f"{etype.entity_set} is read-only.")
    body = parse_json(await request.body(), request.headers.get("content-type"))
    changes = coerce(etype, body, insert=False)
    with ctx.db.lock:
        _precondition(ctx, request, etype, row)
        writes.update(_as_user(ctx), etype, row, changes)
        body = _entity_body(root, etype, row)
    if _prefers(request, "return=representation"):
        applied = "return=representation"
        return odata_response(body, headers={"ETag": row.etag, "Preference-Applied": applied})
    return Response(status_code=204, headers={"ETag": row.etag, "OData-Version": "4.0"})


def _delete(ctx: SimContext, request: Request, target: Target) -> Response:
    etype, row = target.etype, target.row
    assert row is not None
    if not etype.deletable:
        raise IfsError(405, "ODP_METHOD_NOT_ALLOWED", f"{etype.entity_set} is read-only.")
    with ctx.db.lock:
        _precondition(ctx, request, etype, row)
        writes.delete(_as_user(ctx), etype, row)
    return Response(status_code=204, headers={"OData-Version": "4.0"})


def _precondition(ctx: SimContext, request: Request, etype: EntityType, row: Row) -> None:
    if ctx.injector.take("ifs", "concurrent_write", request.method, request.url.path):
        # Another user saves the row just before us: its Objversion, so its ETag, moves on.
        writes.update(_as_user(ctx, other_user=True), etype, row, {}, validate=False)
    if_match = request.headers.get("if-match", "").strip()
    if if_match == "*":
        log.warning("IFS sandbox: If-Match * on %s %s skips optimistic locking", request.method,
                    request.url.path)
        return
    if row.etag not in [tag.strip() for tag in if_match.split(",")]:
        raise IfsError(412, "ODP_PRECONDITION_FAILED",
                       "The object has been modified by another user. Refresh the object and reenter "
                       "your changes.")


def _entity_body(root: str, etype: EntityType, row: Row) -> dict[str, Any]:
    return {"@odata.context": context_url(root, etype.entity_set) + "/$entity", **entity_json(etype, row)}


def _page_size(prefer: str | None, limit: int) -> tuple[int, str | None]:
    for part in (prefer or "").split(","):
        name, _, value = part.strip().partition("=")
        if name.lower() == "odata.maxpagesize":
            if not value.isdigit() or int(value) < 1:
                raise bad_query(f"invalid odata.maxpagesize {value!r}", "Prefer")
            size = min(int(value), limit)
            return size, f"odata.maxpagesize={size}"
    return limit, None


def _prefers(request: Request, preference: str) -> bool:
    return preference in [p.strip() for p in request.headers.get("prefer", "").split(",")]


def _next_link(request: Request, token: str) -> str:
    pairs = [(k, v) for k, v in request.query_params.multi_items() if k not in ("$skip", "$skiptoken")]
    pairs.append(("$skiptoken", token))
    return f"{str(request.url).split('?')[0]}?{urlencode(pairs, quote_via=quote, safe='$')}"
