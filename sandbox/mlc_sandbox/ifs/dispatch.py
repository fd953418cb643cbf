"""One OData request (over HTTP or inside a `$batch`) to its response.

Order of checks follows the gateway, then Olingo, then PL/SQL: (the bearer token is checked by the
caller, 401), projection and path (404/400), a mutation without If-Match (recorded; 428
ODP_MISSING_PRECONDITION only in "reject" mode), body (400), ETag (412), rules (400).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlencode

from starlette.responses import Response

from mlc_sandbox.ifs import expand, mutations, unguarded
from mlc_sandbox.ifs.addressing import Target, resolve, rows_of
from mlc_sandbox.ifs.context import SimContext
from mlc_sandbox.ifs.errors import IfsError, bad_query
from mlc_sandbox.ifs.metadata import csdl, service_document
from mlc_sandbox.ifs.odata_request import ODataRequest
from mlc_sandbox.ifs.query import parse_options, run
from mlc_sandbox.ifs.resource import Segment, parse_path
from mlc_sandbox.ifs.respond import context_url, entity_json, odata_response


def dispatch(ctx: SimContext, req: ODataRequest) -> Response:
    segments = parse_path(req.path)
    method = req.method
    if not segments or segments[0].name == "$metadata":
        if method != "GET" or len(segments) > 1 or (segments and segments[0].key):
            raise IfsError(405, "ODP_METHOD_NOT_ALLOWED", f"{method} is not allowed here.")
        if not segments:
            return odata_response(service_document(ctx.db.schema, req.projection, req.root))
        return Response(csdl(ctx.db.schema, req.projection), media_type="application/xml",
                        headers={"OData-Version": "4.0"})
    without_if_match = _missing_if_match(ctx, req, segments)
    if req.header("if-none-match") is not None:
        # IFS: "If-None-Match is not supported". The docs do not say how it answers; the simulator
        # refuses it (rather than ignoring it) so a client relying on it finds out at once.
        raise bad_query("If-None-Match is not supported", "If-None-Match")
    target = resolve(ctx, req.projection, segments, missing_ok=without_if_match and method == "PATCH")
    if method == "GET":
        return _get(ctx, req, target)
    if method == "POST" and target.row is None and not target.count and target.absent_key is None:
        return mutations.post(ctx, req, target)
    if method == "PATCH" and (target.row is not None or target.absent_key is not None):
        return mutations.patch(ctx, req, target)
    if method == "DELETE" and target.row is not None:
        return mutations.delete(ctx, req, target)
    raise IfsError(405, "ODP_METHOD_NOT_ALLOWED", f"{method} is not allowed on {target.fragment}.")


def _missing_if_match(ctx: SimContext, req: ODataRequest, segments: list[Segment]) -> bool:
    """True for a mutation without If-Match, which is recorded; in "reject" mode it is refused here."""
    if req.header("if-match") or not unguarded.is_mutation(req.method, segments):
        return False
    mode = ctx.settings.missing_if_match
    unguarded.record(ctx.unguarded, req, "rejected" if mode == "reject" else "upsert")
    if mode == "reject":
        raise IfsError(ctx.settings.missing_precondition_status, "ODP_MISSING_PRECONDITION",
                       "The request is missing a precondition: send the entity's ETag in If-Match.")
    return True


def _get(ctx: SimContext, req: ODataRequest, target: Target) -> Response:
    etype = target.etype
    if target.row is not None:
        opts = parse_options(req.params, etype, allow_paging=False, now=ctx.clock.now, by_set=ctx.db.schema.by_set)
        with ctx.db.lock:
            entity = {"@odata.context": context_url(req.root, etype.entity_set, opts.select) + "/$entity",
                      **entity_json(etype, target.row, opts.select)}
            expand.apply(ctx, etype, target.row, entity, opts.expand)
        return odata_response(entity, headers={"ETag": target.row.etag})
    opts = parse_options(req.params, etype, now=ctx.clock.now, by_set=ctx.db.schema.by_set)
    size, applied = _page_size(req.header("prefer"), ctx.settings.page_limit)
    if opts.top is not None:  # Prefer sizes server pages; an explicit $top only meets the hard limit
        size, applied = ctx.settings.page_limit, None
    with ctx.db.lock:
        page = run(rows_of(ctx, target, opts.where), etype, opts, size)
        if target.count:
            return Response(str(page.count), media_type="text/plain", headers={"OData-Version": "4.0"})
        body: dict[str, Any] = {"@odata.context": context_url(req.root, target.fragment, opts.select)}
        if opts.count:
            body["@odata.count"] = page.count
        body["value"] = [expand.apply(ctx, etype, r, entity_json(etype, r, opts.select), opts.expand)
                         for r in page.rows]
    if page.next_token:
        body["@odata.nextLink"] = _next_link(req, page.next_token)
    return odata_response(body, headers={"Preference-Applied": applied} if applied else None)


def _page_size(prefer: str | None, limit: int) -> tuple[int, str | None]:
    for part in (prefer or "").split(","):
        name, _, value = part.strip().partition("=")
        if name.lower() == "odata.maxpagesize":
            if not value.isdigit() or int(value) < 1:
                raise bad_query(f"invalid odata.maxpagesize {value!r}", "Prefer")
            size = min(int(value), limit)
            return size, f"odata.maxpagesize={size}"
    return limit, None


def _next_link(req: ODataRequest, token: str) -> str:
    pairs = [(k, v) for k, v in req.params if k not in ("$skip", "$skiptoken")]
    pairs.append(("$skiptoken", token))
    return f"{req.url}?{urlencode(pairs, quote_via=quote, safe='$')}"
