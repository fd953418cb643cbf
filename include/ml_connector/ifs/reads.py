"""Entity reads: a set page by page (server @odata.nextLink or client $top/$skip), rows modified since
a moment, and one entity by key with its ETag."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime
from typing import Any

import requests

from ml_connector.http.errors import ProtocolError
from ml_connector.http.paging import ODataNextLinkPager, Pager, PageRequest, TopSkipPager, paginate
from ml_connector.http.session import ApiSession
from ml_connector.http.urls import path_of, same_origin
from ml_connector.ifs.entities import etag_of
from ml_connector.ifs.odata import F, Query, encode_query
from ml_connector.ifs.wire import Keys, json_object, projection_path


class EntityReads:
    def __init__(self, api: ApiSession, host: str) -> None:
        self._api = api
        self._host = host  # the only origin a nextLink may point to

    def iter(
        self,
        projection: str,
        entity_set: str,
        query: Query | None = None,
        *,
        keys: Keys | None = None,
        navigation: str | None = None,
        client_paging: bool = False,
        page_size: int = 1000,
    ) -> Iterator[dict[str, Any]]:
        """Rows of a set (or of `Set(keys)/navigation`), following @odata.nextLink.

        `client_paging=True` pages with $top/$skip instead; the query must have a stable $orderby.
        """
        query = query or Query()
        pager: Pager
        if client_paging:
            pager = TopSkipPager(page_size, start=query.skip or 0)
            query = replace(query, top=None, skip=None)
        else:
            pager = ODataNextLinkPager(allowed_origin=self._host)
        first = PageRequest(projection_path(projection, entity_set, keys, navigation), query.params())
        for _resp, payload in paginate(self._fetch_page, pager, first):
            rows = payload.get("value") if isinstance(payload, dict) else None
            if not isinstance(rows, list):
                raise ProtocolError(f"collection answer without a value array from {entity_set}")
            yield from rows

    def iter_modified_since(
        self,
        projection: str,
        entity_set: str,
        column: str,
        since: datetime,
        query: Query | None = None,
        *,
        client_paging: bool = False,
        page_size: int = 1000,
    ) -> Iterator[dict[str, Any]]:
        """Rows whose `column` is after `since` (incremental read; the column is per entity set)."""
        query = (query or Query()).where(F(column).gt(since))
        if client_paging and not query.orderby:
            query = replace(query, orderby=(column,))
        yield from self.iter(projection, entity_set, query, client_paging=client_paging, page_size=page_size)

    def iter_link(self, link: str) -> Iterator[dict[str, Any]]:
        """The rows from an @odata.nextLink on (one a $batch part answered with), page by page."""
        if not same_origin(link, self._host):
            raise ProtocolError(f"@odata.nextLink leaves the API host: {path_of(link)}")
        pager = ODataNextLinkPager(allowed_origin=self._host)
        for _resp, payload in paginate(self._fetch_page, pager, PageRequest(link)):
            rows = payload.get("value") if isinstance(payload, dict) else None
            if not isinstance(rows, list):
                raise ProtocolError("collection answer without a value array")
            yield from rows

    def get(
        self, projection: str, entity_set: str, keys: Keys, *, select: tuple[str, ...] = ()
    ) -> tuple[dict[str, Any], str | None]:
        """(entity, etag); NotFoundError when there is no such row."""
        params = Query(select=select).params()
        path = projection_path(projection, entity_set, keys)
        resp = self._api.send("GET", path, params=encode_query(params) or None)
        entity = json_object(resp)
        return entity, etag_of(entity, resp)

    def _fetch_page(self, req: PageRequest) -> tuple[requests.Response, Any]:
        resp = self._api.send("GET", req.url, params=encode_query(req.params) or None, headers=req.headers)
        return resp, json_object(resp)
