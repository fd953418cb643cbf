from __future__ import annotations

from typing import Any

import pytest
import requests

from ml_connector.http.errors import PaginationLoopError, ProtocolError
from ml_connector.http.paging import (
    ContinuationHeaderPager,
    ODataNextLinkPager,
    PageRequest,
    TopSkipPager,
    paginate,
)

BASE = "https://ifs.example.test/main/ifsapplications/projection/v1/P.svc/Set"


def response(url: str = BASE, headers: dict[str, str] | None = None) -> requests.Response:
    resp = requests.Response()
    resp.status_code = 200
    resp.url = url
    resp.headers.update(headers or {})
    return resp


# --- OData nextLink ---------------------------------------------------------------------------

def test_nextlink_pager_follows_links_and_stops_without_one() -> None:
    pager = ODataNextLinkPager(allowed_origin="https://ifs.example.test")
    req = pager.first(PageRequest("/P.svc/Set", {"$filter": "A eq 1"}))
    pager.update(response(), {"value": [1], "@odata.nextLink": BASE + "?$skiptoken=2"})
    assert pager.has_next()
    nxt = pager.next_request(req)
    assert nxt.url == BASE + "?$skiptoken=2" and nxt.params == {}
    pager.update(response(nxt.url), {"value": [2]})
    assert not pager.has_next()


def test_nextlink_relative_links_resolve_against_the_page() -> None:
    pager = ODataNextLinkPager()
    pager.update(response(), {"value": [], "@odata.nextLink": "Set?$skiptoken=9"})
    assert pager.next_request(PageRequest("x")).url == BASE.rsplit("/", 1)[0] + "/Set?$skiptoken=9"


def test_nextlink_repeated_raises() -> None:
    pager = ODataNextLinkPager()
    pager.update(response(), {"@odata.nextLink": BASE + "?$skiptoken=2"})
    with pytest.raises(PaginationLoopError):
        pager.update(response(), {"@odata.nextLink": BASE + "?$skiptoken=2"})


def test_nextlink_to_another_host_is_refused() -> None:
    pager = ODataNextLinkPager(allowed_origin="https://ifs.example.test")
    with pytest.raises(ProtocolError):
        pager.update(response(), {"@odata.nextLink": "https://evil.example/steal"})


# --- $top/$skip -------------------------------------------------------------------------------

def test_top_skip_requires_orderby() -> None:
    with pytest.raises(ValueError, match="orderby"):
        TopSkipPager(10).first(PageRequest("/x", {"$filter": "A eq 1"}))


def test_top_skip_advances_and_stops_on_short_page() -> None:
    pager = TopSkipPager(2)
    req = pager.first(PageRequest("/x", {"$orderby": "Id"}))
    assert req.params == {"$orderby": "Id", "$top": 2, "$skip": 0}
    pager.update(response(), {"value": [{"Id": 1}, {"Id": 2}]})
    assert pager.has_next()
    req = pager.next_request(req)
    assert req.params["$skip"] == 2 and req.params["$top"] == 2
    pager.update(response(), {"value": [{"Id": 3}]})
    assert not pager.has_next()


def test_top_skip_server_ignoring_skip_is_detected() -> None:
    pager = TopSkipPager(2)
    pager.first(PageRequest("/x", {"$orderby": "Id"}))
    pager.update(response(), {"value": [{"Id": 1}, {"Id": 2}]})
    with pytest.raises(PaginationLoopError):
        pager.update(response(), {"value": [{"Id": 1}, {"Id": 2}]})


# --- Basware continuation header ---------------------------------------------------------------

def test_continuation_token_goes_back_as_request_header_with_same_params() -> None:
    pager = ContinuationHeaderPager()
    req = pager.first(PageRequest("/v1/vendors", {"pageSize": 2}))
    pager.update(response(headers={"X-amz-meta-continuationToken": "tok-1"}), [])
    nxt = pager.next_request(req)
    assert nxt.params == {"pageSize": 2}
    assert nxt.headers == {"x-amz-meta-continuationtoken": "tok-1"}
    pager.update(response(), [])
    assert not pager.has_next()


def test_continuation_header_name_is_case_insensitive() -> None:
    pager = ContinuationHeaderPager()
    pager.update(response(headers={"x-amz-meta-continuationtoken": "tok-lower"}), [])
    assert pager.has_next()


def test_continuation_token_on_the_redirect_is_found() -> None:
    redirect = response(headers={"X-amz-meta-continuationToken": "tok-r"})
    final = response("https://s3.example/obj")
    final.history = [redirect]
    pager = ContinuationHeaderPager()
    pager.update(final, [])
    assert pager.next_request(PageRequest("/v1/x")).headers["x-amz-meta-continuationtoken"] == "tok-r"


def test_repeated_continuation_token_raises() -> None:
    pager = ContinuationHeaderPager()
    pager.update(response(headers={"X-amz-meta-continuationToken": "same"}), [])
    with pytest.raises(PaginationLoopError):
        pager.update(response(headers={"X-amz-meta-continuationToken": "same"}), [])


def test_paginate_drives_a_pager_page_by_page() -> None:
    pages = {None: ("t1", [1, 2]), "t1": ("t2", [3]), "t2": (None, [4])}
    seen: list[PageRequest] = []

    def fetch(req: PageRequest) -> tuple[requests.Response, Any]:
        seen.append(req)
        token, items = pages[req.headers.get("x-amz-meta-continuationtoken")]
        return response(headers={"X-amz-meta-continuationToken": token} if token else {}), items

    out = [item for _r, items in paginate(fetch, ContinuationHeaderPager(), PageRequest("/v1/x", {"a": 1}))
           for item in items]
    assert out == [1, 2, 3, 4]
    assert [r.params for r in seen] == [{"a": 1}] * 3
