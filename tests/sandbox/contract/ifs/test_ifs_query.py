"""$select, $orderby, $top, $skip, $count, the $count segment and Prefer: odata.maxpagesize."""

from __future__ import annotations

import pytest

from .conftest import SUPPLIERS, Factory, Ifs, error_of


def all_suppliers(ifs: Ifs) -> list[dict]:
    return ifs.values(SUPPLIERS, **{"$orderby": "SupplierId"})


def test_select_returns_only_the_chosen_fields_plus_etag_and_keyref(reader: Ifs) -> None:
    rows = reader.values(SUPPLIERS, **{"$select": "SupplierId,Name", "$top": 5})
    assert len(rows) == 5
    assert all(set(r) == {"@odata.etag", "luname", "keyref", "SupplierId", "Name"} for r in rows)
    context = reader.get(SUPPLIERS, params={"$select": "SupplierId,Name", "$top": 1}).json()["@odata.context"]
    assert context.endswith("#SupplierInfoGeneralSet(SupplierId,Name)")


def test_select_on_a_single_entity(reader: Ifs) -> None:
    body = reader.get(f"{SUPPLIERS}('10001')", params={"$select": "Name"}).json()
    assert body["Name"] and "Country" not in body


def test_orderby_several_columns_and_directions(reader: Ifs) -> None:
    rows = reader.values(SUPPLIERS, **{"$orderby": "Country desc,Name,SupplierId desc"})
    keys = [(r["Country"], r["Name"], r["SupplierId"]) for r in rows]
    expected = sorted(keys, key=lambda k: k[2], reverse=True)
    expected = sorted(expected, key=lambda k: k[1])
    expected = sorted(expected, key=lambda k: k[0], reverse=True)
    assert keys == expected
    assert len(rows) == len(reader.sim.dataset.ifs_suppliers)


def test_top_and_skip_slice_a_stable_order(reader: Ifs) -> None:
    everything = [r["SupplierId"] for r in all_suppliers(reader)]
    response = reader.get(SUPPLIERS, params={"$orderby": "SupplierId", "$top": 10, "$skip": 20})
    assert [r["SupplierId"] for r in response.json()["value"]] == everything[20:30]
    assert "@odata.nextLink" not in response.json()  # an explicit $top never gets a nextLink
    tail = reader.values(SUPPLIERS, **{"$orderby": "SupplierId", "$skip": 295})
    assert [r["SupplierId"] for r in tail] == everything[295:]


def test_count_is_the_filtered_total_not_the_page(reader: Ifs) -> None:
    body = reader.get(SUPPLIERS, params={"$filter": "Country eq 'US'", "$top": 2, "$count": "true"}).json()
    expected = sum(1 for s in reader.sim.dataset.ifs_suppliers if s.country == "US")
    assert body["@odata.count"] == expected and len(body["value"]) == 2
    assert "@odata.count" not in reader.get(SUPPLIERS, params={"$top": 1}).json()
    assert "@odata.count" not in reader.get(SUPPLIERS, params={"$top": 1, "$count": "false"}).json()


def test_count_segment_answers_plain_text(reader: Ifs) -> None:
    response = reader.get(f"{SUPPLIERS}/$count", params={"$filter": "Country eq 'SE'"})
    assert response.status_code == 200 and response.headers["Content-Type"].startswith("text/plain")
    assert int(response.text) == sum(1 for s in reader.sim.dataset.ifs_suppliers if s.country == "SE")


def test_prefer_maxpagesize_gives_smaller_server_pages(reader: Ifs) -> None:
    response = reader.get(SUPPLIERS, headers={"Prefer": "odata.maxpagesize=40"})
    assert len(response.json()["value"]) == 40
    assert response.headers["Preference-Applied"] == "odata.maxpagesize=40"
    assert "$skiptoken=" in response.json()["@odata.nextLink"]


def test_top_is_capped_at_the_page_limit_without_a_nextlink(make_ifs: Factory) -> None:
    ifs = make_ifs(page_limit=50)
    body = ifs.get(SUPPLIERS, params={"$top": 200}).json()
    assert len(body["value"]) == 50 and "@odata.nextLink" not in body


def test_without_orderby_the_newest_rows_come_first(ifs: Ifs) -> None:
    assert ifs.post(SUPPLIERS, {"SupplierId": "NEW1", "Name": "Newest Ltd."}).status_code == 201
    assert ifs.values(SUPPLIERS, **{"$top": 1})[0]["SupplierId"] == "NEW1"


@pytest.mark.parametrize(("option", "value"), [
    ("$select", "SupplierId,Nope"), ("$orderby", "Nope"), ("$orderby", "Name sideways"), ("$orderby", ""),
    ("$top", "-1"), ("$top", "ten"), ("$skip", "1.5"), ("$count", "yes"), ("$expand", "Anything"),
    ("$search", "x"), ("$skiptoken", "garbage!"), ("$format", "xml"),
])
def test_bad_query_options_are_400(reader: Ifs, option: str, value: str) -> None:
    response = reader.get(SUPPLIERS, params={option: value})
    assert response.status_code == 400, (option, value)
    assert error_of(response)["details"][0]["target"] == option


def test_paging_options_on_a_single_entity_are_400(reader: Ifs) -> None:
    assert reader.get(f"{SUPPLIERS}('10001')", params={"$top": 1}).status_code == 400


def test_custom_query_options_are_ignored(reader: Ifs) -> None:
    assert reader.get(SUPPLIERS, params={"$top": 1, "company": "10"}).status_code == 200


def test_top_is_not_shrunk_by_prefer_maxpagesize(reader: Ifs) -> None:
    body = reader.get(SUPPLIERS, params={"$top": 30}, headers={"Prefer": "odata.maxpagesize=10"}).json()
    assert len(body["value"]) == 30 and "@odata.nextLink" not in body
