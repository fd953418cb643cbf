"""Pagers: small strategy objects that say how to get from one page to the next.

Each has four methods: `first` (prepare the first request), `update` (read state from a page),
`has_next`, and `next_request`. `paginate` drives any of them.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

import requests

from ml_connector.http.errors import PaginationLoopError, ProtocolError
from ml_connector.http.urls import path_of, resolve, same_origin


@dataclass(frozen=True)
class PageRequest:
    url: str  # a path under the client's base URL, or an absolute URL
    params: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)


class Pager(Protocol):
    def first(self, request: PageRequest) -> PageRequest: ...
    def update(self, response: requests.Response, payload: Any) -> None: ...
    def has_next(self) -> bool: ...
    def next_request(self, request: PageRequest) -> PageRequest: ...


Fetch = Callable[[PageRequest], tuple[requests.Response, Any]]


def paginate(fetch: Fetch, pager: Pager, request: PageRequest) -> Iterator[tuple[requests.Response, Any]]:
    """Yield (response, payload) page by page; one page in memory at a time."""
    request = pager.first(request)
    while True:
        response, payload = fetch(request)
        pager.update(response, payload)
        yield response, payload
        if not pager.has_next():
            return
        request = pager.next_request(request)


class ODataNextLinkPager:
    """Server-driven OData paging: follow `@odata.nextLink` until it is absent."""

    def __init__(self, allowed_origin: str | None = None) -> None:
        # Our bearer token goes wherever the link points: refuse links to another host.
        self._origin = allowed_origin
        self._next: str | None = None
        self._seen: set[str] = set()

    def first(self, request: PageRequest) -> PageRequest:
        return request

    def update(self, response: requests.Response, payload: Any) -> None:
        link = payload.get("@odata.nextLink") if isinstance(payload, dict) else None
        if not link:
            self._next = None
            return
        url = resolve(response.url or "", str(link))
        if self._origin and not same_origin(url, self._origin):
            raise ProtocolError(f"@odata.nextLink leaves the API host: {path_of(url)}")
        if url in self._seen:
            raise PaginationLoopError(f"server repeated @odata.nextLink {path_of(url)}")
        self._seen.add(url)
        self._next = url

    def has_next(self) -> bool:
        return self._next is not None

    def next_request(self, request: PageRequest) -> PageRequest:
        assert self._next is not None
        return replace(request, url=self._next, params={})  # the link carries the whole query


class TopSkipPager:
    """Client paging with $top/$skip, for servers that send no nextLink when $top is given.

    Rows added or removed between pages shift the window, so a stable $orderby (key columns) is
    required. `page_size` must not exceed the server's own page limit: a short page ends the loop.
    """

    def __init__(self, page_size: int, start: int = 0) -> None:
        if page_size < 1:
            raise ValueError("page_size must be positive")
        self.page_size = page_size
        self._skip = start
        self._more = False
        self._last_first_row: str | None = None

    def first(self, request: PageRequest) -> PageRequest:
        if not request.params.get("$orderby"):
            raise ValueError("$top/$skip paging needs a stable $orderby (the key columns)")
        return replace(request, params={**request.params, "$top": self.page_size, "$skip": self._skip})

    def update(self, response: requests.Response, payload: Any) -> None:
        rows = payload.get("value") if isinstance(payload, dict) else None
        rows = rows if isinstance(rows, list) else []
        first_row = json.dumps(rows[0], sort_keys=True, default=str) if rows else None
        if first_row is not None and first_row == self._last_first_row:
            raise PaginationLoopError(f"server returned the same page twice (ignores $skip?) at {self._skip}")
        self._last_first_row = first_row
        self._skip += len(rows)
        self._more = len(rows) >= self.page_size

    def has_next(self) -> bool:
        return self._more

    def next_request(self, request: PageRequest) -> PageRequest:
        return replace(request, params={**request.params, "$skip": self._skip})


class ContinuationHeaderPager:
    """Basware paging: a token in a response header goes back as a request header.

    The next request repeats the same query parameters. The token is read from the final response,
    or from the redirect that led to it.
    """

    def __init__(
        self,
        response_header: str = "X-amz-meta-continuationToken",
        request_header: str = "x-amz-meta-continuationtoken",
    ) -> None:
        self.response_header = response_header
        self.request_header = request_header
        self._token: str | None = None
        self._seen: set[str] = set()

    def first(self, request: PageRequest) -> PageRequest:
        headers = {k: v for k, v in request.headers.items() if k.lower() != self.request_header.lower()}
        return replace(request, headers=headers)

    def update(self, response: requests.Response, payload: Any) -> None:
        token = None
        for resp in (response, *reversed(response.history)):
            token = resp.headers.get(self.response_header)
            if token:
                break
        if not token:
            self._token = None
            return
        if token in self._seen:
            raise PaginationLoopError(f"server repeated continuation token on {path_of(response.url)}")
        self._seen.add(token)
        self._token = token

    def has_next(self) -> bool:
        return self._token is not None

    def next_request(self, request: PageRequest) -> PageRequest:
        assert self._token is not None
        return replace(request, headers={**request.headers, self.request_header: self._token})
