"""Continuation-header paging as Basware does it.

The next-page token travels only in the request header `x-amz-meta-continuationtoken` (a token in the
query string is just an unknown parameter), and the next request must repeat the first request's query
parameters: the token remembers them and a mismatch is a 400.

Where the spec is silent: an unknown (or evicted) token and a pageSize outside the range a parameter's
description gives are answered 400 PARAMETER_VALIDATION_ERROR (a ResponseEntityList), not a guessed first
page: a client that lost its place must know it. The spec documents no 400 for these GETs; the push API's
`/v1/tasks` answers the same as 422, the status it documents for bad input (see errors.py).
"""

from __future__ import annotations

import threading
import uuid
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from fastapi import Request

from mlc_sandbox.basware.errors import bad_parameter

REQUEST_HEADER = "x-amz-meta-continuationtoken"
RESPONSE_HEADER = "X-amz-meta-continuationToken"


@dataclass(frozen=True)
class Continuation:
    resource: str
    params: tuple[tuple[str, str], ...]
    position: Any


class ContinuationStore:
    """Server-side tokens (UUIDs, like Basware's) mapped to where the next page starts."""

    def __init__(self, capacity: int = 20_000) -> None:
        self._lock = threading.Lock()
        self._tokens: OrderedDict[str, Continuation] = OrderedDict()
        self._capacity = capacity

    def issue(self, resource: str, params: Mapping[str, str], position: Any) -> str:
        token = str(uuid.uuid4())
        with self._lock:
            self._tokens[token] = Continuation(resource, tuple(sorted(params.items())), position)
            while len(self._tokens) > self._capacity:
                self._tokens.popitem(last=False)
        return token

    def headers(self, resource: str, params: Mapping[str, str], position: Any) -> dict[str, str]:
        """The response header announcing a next page, or nothing on the last page (position None)."""
        return {} if position is None else {RESPONSE_HEADER: self.issue(resource, params, position)}

    def resolve(self, request: Request, resource: str, params: Mapping[str, str]) -> Any:
        """Start position for this request: None for a first page; 400 for a bad or mismatched token."""
        token = request.headers.get(REQUEST_HEADER)
        if not token:
            return None
        with self._lock:
            found = self._tokens.get(token.strip())
        if found is None or found.resource != resource:
            raise bad_parameter("Invalid continuation token")
        if found.params != tuple(sorted(params.items())):
            raise bad_parameter("The continuation token was issued for different query parameters; "
                                "repeat the query parameters of the first page")
        return found.position


def query_params(request: Request, names: tuple[str, ...]) -> dict[str, str]:
    """The recognised query parameters as sent (unknown ones, such as a continuation token, are ignored)."""
    return {name: request.query_params[name] for name in names if name in request.query_params}


def page_size(params: Mapping[str, str], maximum: int, default: int) -> int:
    raw = params.get("pageSize")
    if raw is None:
        return default
    try:
        size = int(raw)
    except ValueError:
        raise bad_parameter(f"pageSize must be an integer between 1 and {maximum}") from None
    if not 1 <= size <= maximum:
        raise bad_parameter(f"pageSize must be between 1 and {maximum}, got {size}")
    return size


def keyset_page(items: list[tuple[Any, Any]], after: Any, size: int) -> tuple[list[Any], Any]:
    """One page of `items` (sorted (key, item) pairs) after key `after`; also the key to continue from."""
    start = 0
    if after is not None:
        start = next((i for i, (key, _) in enumerate(items) if key > after), len(items))
    chunk = items[start:start + size]
    more = start + size < len(items)
    return [item for _, item in chunk], (chunk[-1][0] if more and chunk else None)
