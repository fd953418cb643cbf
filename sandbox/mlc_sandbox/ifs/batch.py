"""`POST {Projection}.svc/$batch`: the parts of one multipart/mixed request, run in order.

- A change set is atomic: when one of its requests fails, every change it made is rolled back and
  the change set answers with that one failure (OData 4.0, 11.7.4). It holds the database lock while
  it runs, so no other request sees it half done. Oracle sequences are not rolled back in IFS, and
  neither are the simulator's counters (Objversion, Objid, history ids): a rolled-back id is skipped.
- Inside a change set `$<Content-ID>` at the start of a URL stands for the entity an earlier request
  created or addressed (its Location), and `If-Match: $<Content-ID>` for that entity's ETag after that
  request. IFS documents the references; `If-Match: $n` is how the simulator carries the ETag. A
  request that addressed an entity (PATCH) can be referred to as well as one that created it (POST).
  The change of a `concurrent_write` fault ("another user") inside a failed change set is rolled back too.
- Without `Prefer: odata.continue-on-error` the batch stops after the first failed top-level part.
- The bearer token, transport faults and the request log apply to the $batch request itself; every
  inner request is also logged (with `batch` = the $batch's request id) and checked for If-Match.
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from starlette.responses import Response

from mlc_sandbox.ifs.batch_wire import ChangeSet, Part, PartResponse, encode_responses, malformed, parse_batch
from mlc_sandbox.ifs.context import SimContext
from mlc_sandbox.ifs.dispatch import dispatch
from mlc_sandbox.ifs.errors import IfsError, error_response
from mlc_sandbox.ifs.odata_request import ODataRequest
from mlc_sandbox.raw_path import routing_path

CONTINUE = "odata.continue-on-error"
_HEADER_NAMES = {"etag": "ETag", "odata-version": "OData-Version"}


def handle(ctx: SimContext, outer: ODataRequest) -> Response:
    if outer.method != "POST":
        raise IfsError(405, "ODP_METHOD_NOT_ALLOWED", f"{outer.method} is not allowed on $batch.")
    items = parse_batch(outer.header("content-type"), outer.body)  # malformed: 400, nothing runs
    keep_going = outer.prefers(CONTINUE)
    answers: list[PartResponse | list[PartResponse]] = []
    for item in items:
        if isinstance(item, ChangeSet):
            responses, ok = _change_set(ctx, outer, item)
            answers.append(responses if ok else responses[0])
        else:
            answers.append(_run(ctx, outer, item, {}))
            ok = answers[-1].status < 400  # type: ignore[union-attr]
        if not ok and not keep_going:
            break
    body, boundary = encode_responses(answers)
    headers = {"OData-Version": "4.0", **({"Preference-Applied": CONTINUE} if keep_going else {})}
    return Response(body, media_type=f"multipart/mixed; boundary={boundary}", headers=headers)


def _change_set(ctx: SimContext, outer: ODataRequest, change_set: ChangeSet) -> tuple[list[PartResponse], bool]:
    refs: dict[str, PartResponse] = {}
    done: list[PartResponse] = []
    with ctx.db.lock:
        before = ctx.db.snapshot()
        try:
            for part in change_set.parts:
                response = _run(ctx, outer, part, refs)
                if response.status >= 400:
                    ctx.db.restore(before)
                    return [response], False
                done.append(response)
                if part.content_id:
                    refs[part.content_id] = response
        finally:
            ctx.db.release()
    return done, True


def _run(ctx: SimContext, outer: ODataRequest, part: Part, refs: dict[str, PartResponse]) -> PartResponse:
    entry = _log_entry(outer, part)
    ctx.log.add(entry)
    url = None
    try:
        inner = _inner_request(outer, part, refs)
        url = inner.url
        response = dispatch(ctx, inner)
    except IfsError as exc:
        response = error_response(exc)
    except Exception as exc:  # a simulator bug: answer like IFS would, and the change set rolls back
        response = error_response(IfsError(500, "ODP_INTERNAL_ERROR", f"Internal error: {type(exc).__name__}"))
    entry["status"] = response.status_code
    headers = [(_HEADER_NAMES.get(k, k.title()), v) for k, v in response.headers.items()]
    url = response.headers.get("location") or (url if part.method != "POST" else None)
    return PartResponse(response.status_code, headers, bytes(response.body), part.content_id, url)


def _inner_request(outer: ODataRequest, part: Part, refs: dict[str, PartResponse]) -> ODataRequest:
    url = _dereference(part.url, refs)
    split = urlsplit(url)
    root_path = urlsplit(outer.root).path
    path = split.path if split.scheme or url.startswith("/") else f"{root_path}/{split.path}"
    if not (path == root_path or path.startswith(root_path + "/")):
        raise malformed(f"{part.url} is outside {outer.projection}.svc: a $batch addresses one projection")
    # Decoded as a request URL's path is: all but %2F and %25, which only the key literal decodes.
    inner_path = routing_path(path[len(root_path):].encode())
    if inner_path.rstrip("/") == "/$batch":
        raise malformed("a $batch cannot hold another $batch")
    headers = dict(part.headers)
    if_match = headers.get("if-match", "").strip()
    if if_match.startswith("$"):
        headers["if-match"] = _header_of(_reference(if_match[1:], refs), "etag")
    return ODataRequest(part.method, outer.projection, outer.root, inner_path,
                        parse_qsl(split.query, keep_blank_values=True), headers, part.body,
                        request_id=outer.request_id, batch_part=part.content_id)


def _dereference(url: str, refs: dict[str, PartResponse]) -> str:
    if not url.startswith("$"):
        return url
    name, slash, rest = url[1:].partition("/")
    target = _reference(name, refs)
    if target.url is None:
        raise malformed(f"request ${name} neither created nor addressed an entity: nothing to refer to")
    return target.url + slash + rest


def _reference(name: str, refs: dict[str, PartResponse]) -> PartResponse:
    if name not in refs:
        raise malformed(f"${name} does not name an earlier request of this change set")
    return refs[name]


def _header_of(response: PartResponse, name: str) -> str:
    value = next((v for k, v in response.headers if k.lower() == name), None)
    if value is None:
        raise malformed(f"request ${response.content_id} answered without {name}: nothing to refer to")
    return value


def _log_entry(outer: ODataRequest, part: Part) -> dict[str, Any]:
    return {"time": time.time(), "method": part.method, "path": part.url, "query": "",
            "client_request_id": None, "request_id": outer.request_id, "batch": outer.request_id,
            "batch_part": part.content_id, "authorization": False,
            "if_match": part.headers.get("if-match"), "status": None}
