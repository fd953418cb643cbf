"""What every Basware resource shares: the pre-signed redirect GET, list paging, chunked POSTs, JSON."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import quote

import requests

from ml_connector.basware.chunking import chunk_records
from ml_connector.basware.models import Receipt, UpsertResult
from ml_connector.http.classify import Action, Overrides
from ml_connector.http.errors import ProtocolError, RecordError
from ml_connector.http.paging import ContinuationHeaderPager, PageRequest, paginate
from ml_connector.http.request_ids import response_request_id
from ml_connector.http.session import ApiSession
from ml_connector.http.urls import resolve

log = logging.getLogger(__name__)

MAX_REDIRECTS = 3
EMPTY: Overrides = {404: Action.IGNORE}  # Basware: 404 on a read means "no records"
JSON = {"Content-Type": "application/json", "Accept": "application/json"}


class BaswareTransport:
    """The client's one ApiSession, plus the calls its resources have in common."""

    def __init__(self, api: ApiSession, max_request_bytes: int) -> None:
        self.api = api
        self.max_request_bytes = max_request_bytes

    def get(self, path: str, params: Mapping[str, Any], headers: Mapping[str, str]) -> requests.Response:
        """GET that follows Basware's redirect to a pre-signed URL without our credentials."""
        resp = self.api.send("GET", path, params=params, headers=headers, overrides=EMPTY)
        hops: list[requests.Response] = []
        while resp.is_redirect:
            if len(hops) >= MAX_REDIRECTS:
                raise ProtocolError(f"more than {MAX_REDIRECTS} redirects for {path}")
            hops.append(resp)
            target = resolve(resp.url, resp.headers["Location"])
            resp = self.api.send("GET", target, external=True, overrides=EMPTY)
        resp.history = hops  # the continuation token may ride on the redirect
        return resp

    def receipt(self, resp: requests.Response) -> Receipt:
        """The ids of the call that got `resp`: ours from the request it answered, Basware's from it."""
        header = self.api.request_id_header
        sent = resp.request.headers.get(header) if header and resp.request is not None else None
        return Receipt(client_request_id=sent, request_id=request_id(resp))

    def iter_list(self, path: str, params: dict[str, Any], key: str) -> Iterator[dict[str, Any]]:
        """Every record of a list wrapped under `key`, following the continuation header (one page in
        memory)."""

        def fetch(req: PageRequest) -> tuple[requests.Response, Any]:
            resp = self.get(req.url, req.params, req.headers)
            return resp, (None if resp.status_code == 404 else json_body(resp))

        for _resp, payload in paginate(fetch, ContinuationHeaderPager(), PageRequest(path, params)):
            yield from items(payload, key, path)

    def post_chunked(self, path: str, records: Iterable[Mapping[str, Any]], per_call: int) -> UpsertResult:
        """POST records in chunks under Basware's count and size limits; a record too big alone is
        rejected without being sent."""
        result = UpsertResult()
        for chunk in chunk_records(_with_code(records, result), max_count=per_call,
                                   max_bytes=self.max_request_bytes):
            if chunk.oversized:
                code = str(chunk.records[0].get("externalCode") or "") or None
                result.rejected.append(RecordError(
                    f"record alone is {len(chunk.body)} bytes, over the {self.max_request_bytes} limit",
                    record_id=code))
                continue
            resp = self.api.send("POST", path, data=chunk.body, headers=JSON)
            result.sent += len(chunk.records)
            rid = request_id(resp)
            if rid:
                result.request_ids.append(rid)
            log.info("Posted %d record(s) to %s request_id=%s", len(chunk.records), path, rid)
        return result


def _with_code(records: Iterable[Mapping[str, Any]], result: UpsertResult) -> Iterator[Mapping[str, Any]]:
    """Records with the `externalCode` every master-data entity requires; the others are rejected unsent."""
    for record in records:
        if str(record.get("externalCode") or "").strip():
            yield record
        else:
            result.rejected.append(RecordError("record without the required externalCode"))


def truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def seg(value: str) -> str:
    """One URL path segment (an id may hold '/' or spaces)."""
    text = quote(str(value), safe="")
    # "." and ".." would be dropped as dot segments on the way (RFC 3986 5.2.4); encoded they stay data.
    return text.replace(".", "%2E") if text in (".", "..") else text


def iso(value: datetime | str) -> str:
    if isinstance(value, str):
        return value
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)  # our timestamps are UTC; naive ones come from UTC clocks
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def json_body(resp: requests.Response) -> Any:
    """The one place Basware JSON is decoded: numbers with a fraction become exact Decimals, never floats."""
    try:
        return json.loads(resp.content, parse_float=Decimal)  # bytes: JSON's own UTF-8/16/32 detection
    except ValueError:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        raise ProtocolError.from_response(resp, "expected a JSON body") from None


def items(payload: Any, key: str, endpoint: str) -> list[dict[str, Any]]:
    """The records of a list answer, `{key: [...]}` as the spec wraps them for this endpoint (no answer:
    none); anything else is a ProtocolError naming the endpoint."""
    if payload is None:
        return []
    value = payload.get(key) if isinstance(payload, dict) else None
    if not isinstance(value, list):
        got = f"an object without a {key!r} list" if isinstance(payload, dict) else \
            f"a bare JSON {type(payload).__name__}"
        raise ProtocolError(f"{endpoint}: expected {{{key!r}: [...]}}, got {got}", path=endpoint)
    return [p for p in value if isinstance(p, dict)]


def request_id(resp: requests.Response) -> str | None:
    """Basware's id for a request: from the body when it says, else from the response headers."""
    try:
        body = resp.json() if resp.content else None
    except ValueError:
        body = None
    if isinstance(body, dict) and body.get("requestId"):
        return str(body["requestId"])
    return response_request_id(resp)
