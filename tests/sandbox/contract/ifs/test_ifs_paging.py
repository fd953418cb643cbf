"""Server paging with @odata.nextLink and a keyset $skiptoken, versus $top/$skip client paging."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any

import pytest

from .conftest import SUPPLIERS, Ifs, _factory, _ServerPool, error_of


@pytest.fixture(scope="module")
def big(server_pool: _ServerPool, if_match_guard: Any) -> Iterator[Ifs]:
    with ExitStack() as stack:
        yield _factory(server_pool, stack, if_match_guard)(suppliers=12_000)


def follow(ifs: Ifs, params: dict[str, Any] | None = None, **kw: Any) -> list[list[dict[str, Any]]]:
    """Every page, following @odata.nextLink until it is absent."""
    pages = []
    links: set[str] = set()
    response = ifs.get(SUPPLIERS, params=params, **kw)
    while True:
        assert response.status_code == 200, response.text
        body = response.json()
        pages.append(body["value"])
        link = body.get("@odata.nextLink")
        if not link:
            return pages
        assert link not in links, "pagination loop: the same nextLink twice"
        links.add(link)
        response = ifs.session.get(link, timeout=30, **kw)


def test_12000_suppliers_in_pages_of_5000_none_missing_none_repeated(big: Ifs) -> None:
    first = big.get(SUPPLIERS, params={"$count": "true"}).json()
    assert first["@odata.count"] == 12_000
    assert "$skiptoken=" in first["@odata.nextLink"]
    pages = follow(big, {"$select": "SupplierId"})
    assert [len(p) for p in pages] == [5000, 5000, 2000]
    seen = [r["SupplierId"] for page in pages for r in page]
    assert len(seen) == len(set(seen)) == 12_000
    assert set(seen) == {s.supplier_id for s in big.sim.dataset.ifs_suppliers}


def test_nextlink_keeps_filter_select_and_orderby(big: Ifs) -> None:
    params = {"$filter": "Country eq 'DE'", "$select": "SupplierId,Name", "$orderby": "Name desc"}
    pages = follow(big, params, headers={"Prefer": "odata.maxpagesize=300"})
    rows = [r for page in pages for r in page]
    assert len(pages) > 2
    expected = sorted((s for s in big.sim.dataset.ifs_suppliers if s.country == "DE"),
                      key=lambda s: s.supplier_id)
    expected.sort(key=lambda s: s.name, reverse=True)
    assert [r["SupplierId"] for r in rows] == [s.supplier_id for s in expected]
    assert all(set(r) == {"@odata.etag", "luname", "keyref", "SupplierId", "Name"} for r in rows)


def test_small_page_limit_pages_everything(ifs: Ifs) -> None:
    ifs.admin("PATCH", "/ifs/settings", json={"page_limit": 7})
    pages = follow(ifs)
    assert all(len(p) == 7 for p in pages[:-1]) and 1 <= len(pages[-1]) <= 7
    seen = [r["SupplierId"] for page in pages for r in page]
    assert len(seen) == len(set(seen)) == 300


def test_server_paging_survives_inserts_and_deletes_between_pages(ifs: Ifs) -> None:
    before = {r["SupplierId"]: r["@odata.etag"] for r in ifs.values(SUPPLIERS)}
    assert len(before) == 300
    ifs.admin("PATCH", "/ifs/settings", json={"page_limit": 50})
    response = ifs.get(SUPPLIERS)
    seen = [r["SupplierId"] for r in response.json()["value"]]
    link = response.json()["@odata.nextLink"]
    for n in range(10):  # new suppliers arrive while we page...
        assert ifs.post(SUPPLIERS, {"SupplierId": f"N{n}", "Name": f"New {n}"}).status_code == 201
    deleted = [s for s in sorted(before) if s not in seen][:3]  # ...and some not yet seen go away
    for supplier_id in deleted:
        assert ifs.delete(f"{SUPPLIERS}('{supplier_id}')", before[supplier_id]).status_code == 204
    while link:
        assert len(seen) < 1000, "pagination loop"
        body = ifs.session.get(link, timeout=10).json()
        seen += [r["SupplierId"] for r in body["value"]]
        link = body.get("@odata.nextLink")
    assert len(seen) == len(set(seen)), "server paging repeated a row"
    assert set(before) - set(deleted) <= set(seen), "server paging skipped a row"


def top_skip(ifs: Ifs, skip: int, orderby: str | None = None) -> list[str]:
    params: dict[str, Any] = {"$top": 50, "$skip": skip, "$select": "SupplierId"}
    if orderby:
        params["$orderby"] = orderby
    return [r["SupplierId"] for r in ifs.values(SUPPLIERS, **params)]


def test_top_skip_without_orderby_repeats_rows_when_rows_are_inserted(ifs: Ifs) -> None:
    page1 = top_skip(ifs, 0)
    for n in range(3):
        ifs.post(SUPPLIERS, {"SupplierId": f"90{n}", "Name": f"Inserted {n}"})
    page2 = top_skip(ifs, 50)
    assert set(page1) & set(page2), "the hazard IFS warns about should show: rows repeat across pages"


def test_top_skip_without_orderby_skips_rows_when_rows_are_deleted(ifs: Ifs) -> None:
    page1 = top_skip(ifs, 0)
    expected_page2 = top_skip(ifs, 50)
    entity = ifs.get(f"{SUPPLIERS}('{page1[0]}')")
    assert ifs.delete(f"{SUPPLIERS}('{page1[0]}')", entity.headers["ETag"]).status_code == 204
    page2 = top_skip(ifs, 50)
    assert expected_page2[0] not in page1 + page2, "a row fell between the pages"


def test_top_skip_with_orderby_on_the_key_is_stable_for_new_suppliers(ifs: Ifs) -> None:
    page1 = top_skip(ifs, 0, "SupplierId")
    for n in range(3):  # new supplier numbers come from the series after the existing ones
        ifs.post(SUPPLIERS, {"SupplierId": f"9900{n}", "Name": f"Inserted {n}"})
    page2 = top_skip(ifs, 50, "SupplierId")
    assert not set(page1) & set(page2)
    everything = [r["SupplierId"] for r in ifs.values(SUPPLIERS, **{"$orderby": "SupplierId"})]
    assert page1 + page2 == everything[:100]


def test_skiptoken_must_match_its_query(ifs: Ifs) -> None:
    ifs.admin("PATCH", "/ifs/settings", json={"page_limit": 10})
    link = ifs.get(SUPPLIERS, params={"$orderby": "Name"}).json()["@odata.nextLink"]
    token = link.split("$skiptoken=")[1]
    response = ifs.get(SUPPLIERS, params={"$orderby": "Country", "$skiptoken": token})
    assert response.status_code == 400
    assert error_of(response)["details"][0]["target"] == "$skiptoken"
