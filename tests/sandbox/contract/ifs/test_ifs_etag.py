"""Optimistic concurrency: ETags change on every write; a stale If-Match is 412 (no If-Match at all:
test_ifs_missing_if_match.py)."""

from __future__ import annotations

from typing import Any

import pytest

from mlc_sandbox.faults import FaultInjector, FaultRule

from .conftest import SUPPLIERS, Factory, Ifs, decode_etag, error_of

ONE = f"{SUPPLIERS}('10001')"


def read(ifs: Ifs, path: str = ONE) -> tuple[dict[str, Any], str]:
    response = ifs.get(path)
    assert response.status_code == 200
    return response.json(), response.headers["ETag"]


def test_etag_changes_on_every_write_and_patch_answers_204_with_the_new_etag(ifs: Ifs) -> None:
    body, etag = read(ifs)
    first = ifs.patch(ONE, {"Name": "First rename"}, etag)
    assert first.status_code == 204 and first.content == b""
    assert first.headers["ETag"] != etag
    second = ifs.patch(ONE, {"Name": "Second rename"}, first.headers["ETag"])
    assert second.status_code == 204 and second.headers["ETag"] != first.headers["ETag"]
    after, now = read(ifs)
    assert now == second.headers["ETag"] == after["@odata.etag"]
    assert after["Name"] == "Second rename"
    assert after["Objversion"] != body["Objversion"] and after["Objid"] == body["Objid"]
    assert decode_etag(now) == f'W/"{after["Objid"]}:{after["Objversion"]}"'
    assert after["ModifiedDate"] > body["ModifiedDate"]


def test_patch_can_return_the_representation(ifs: Ifs) -> None:
    _, etag = read(ifs)
    response = ifs.patch(ONE, {"Country": "SE"}, etag, headers={"Prefer": "return=representation"})
    assert response.status_code == 200
    assert response.json()["Country"] == "SE" and response.json()["@odata.etag"] == response.headers["ETag"]


def test_stale_etag_is_412_and_changes_nothing(ifs: Ifs) -> None:
    _, old = read(ifs)
    assert ifs.patch(ONE, {"Name": "Mine"}, old).status_code == 204
    current = read(ifs)
    response = ifs.patch(ONE, {"Name": "Stale write"}, old)
    assert response.status_code == 412
    assert error_of(response)["code"] == "ODP_PRECONDITION_FAILED"
    assert ifs.delete(ONE, old).status_code == 412
    assert read(ifs) == current


def test_if_match_list_with_the_current_etag_passes(ifs: Ifs) -> None:
    _, etag = read(ifs)
    assert ifs.patch(ONE, {"Name": "Listed"}, f'W/"stale", {etag}').status_code == 204


def test_if_match_star_is_accepted_but_shows_in_the_request_log(ifs: Ifs) -> None:
    assert ifs.patch(ONE, {"Name": "Blind write"}, "*").status_code == 204
    assert read(ifs)[0]["Name"] == "Blind write"
    stars = ifs.sim.wildcard_if_match_requests()
    assert [(e["method"], e["path"].endswith("('10001')")) for e in stars] == [("PATCH", True)]
    assert [e for e in ifs.admin("GET", "/ifs/requests").json() if e["if_match"] == "*"]


def test_concurrent_write_fault_makes_the_patch_412(make_ifs: Factory) -> None:
    injector = FaultInjector()
    ifs = make_ifs(injector=injector)
    _, etag = read(ifs)
    injector.add(FaultRule(kind="concurrent_write", system="ifs", method="PATCH", times=1))
    response = ifs.patch(ONE, {"Name": "Lost race"}, etag)
    assert response.status_code == 412
    body, fresh = read(ifs)
    assert fresh != etag and body["Name"] != "Lost race"
    history = ifs.values("HistoryLogHandling.svc/HistoryLogOverviewSet",
                         **{"$filter": "LuName eq 'SupplierInfoGeneral' and Keys eq 'SUPPLIER_ID=10001^'"})
    assert [h["Username"] for h in history] == ["ALAIN.ACCOUNTANT"]
    assert ifs.patch(ONE, {"Name": "Re-read and retried"}, fresh).status_code == 204  # the fault fired once


def test_concurrent_write_fault_on_delete(make_ifs: Factory) -> None:
    injector = FaultInjector()
    ifs = make_ifs(injector=injector)
    _, etag = read(ifs)
    injector.add(FaultRule(kind="concurrent_write", system="ifs", method="DELETE", times=1))
    assert ifs.delete(ONE, etag).status_code == 412
    assert ifs.get(ONE).status_code == 200


def test_admin_edit_as_another_user_invalidates_the_clients_etag(ifs: Ifs) -> None:
    _, etag = read(ifs)
    response = ifs.admin("POST", "/ifs/modify", json={"entity_set": "SupplierInfoGeneralSet",
                                                      "key": {"SupplierId": "10001"},
                                                      "changes": {"Name": "Edited in IFS client"}})
    assert response.status_code == 200
    assert response.json()["@odata.etag"] != etag
    assert ifs.patch(ONE, {"Name": "Connector"}, etag).status_code == 412
    body, _ = read(ifs)
    assert body["Name"] == "Edited in IFS client"
    touched = ifs.sim.modify_as_other_user("SupplierInfoGeneralSet", {"SupplierId": "10001"})
    assert touched["@odata.etag"] != body["@odata.etag"] and touched["Name"] == body["Name"]


@pytest.mark.parametrize(("body", "field"), [
    ({"Objversion": "1"}, "Objversion"), ({"Objid": "x"}, "Objid"), ({"luname": "X"}, "luname"),
    ({"keyref": "X"}, "keyref"), ({"Objgrants": None}, "Objgrants"),
    ({"@odata.etag": 'W/"x"'}, "@odata.etag"),
    ({"SupplierId": "10001"}, "SupplierId"), ({"ModifiedDate": "2026-01-01T00:00:00Z"}, "ModifiedDate"),
    ({"CreationDate": "2026-01-01"}, "CreationDate"), ({"Nope": 1}, "Nope"),
    ({"OneTimeSupplier": "yes"}, "OneTimeSupplier"),
    ({"PartyType": "Robot"}, "PartyType"),
])
def test_patch_with_system_read_only_or_unknown_fields_is_400(ifs: Ifs, body: dict[str, Any],
                                                              field: str) -> None:
    before, etag = read(ifs)
    response = ifs.patch(ONE, body, etag)
    assert response.status_code == 400, body
    error = error_of(response)
    assert error["code"] == "ODP_DESERIALIZATION_ERROR"
    assert error["details"][0]["target"] == field
    assert read(ifs) == (before, etag)


def test_body_must_be_declared_json(ifs: Ifs) -> None:
    _, etag = read(ifs)
    response = ifs.session.patch(ifs.api(ONE), data='{"Name": "x"}', headers={"If-Match": etag}, timeout=10)
    assert response.status_code == 400
    assert error_of(response)["code"] == "ODP_DESERIALIZATION_ERROR"


def test_delete_with_the_etag(ifs: Ifs) -> None:
    assert ifs.post(SUPPLIERS, {"SupplierId": "GONE", "Name": "Short-lived"}).status_code == 201
    _, etag = read(ifs, f"{SUPPLIERS}('GONE')")
    response = ifs.delete(f"{SUPPLIERS}('GONE')", etag)
    assert response.status_code == 204
    assert ifs.get(f"{SUPPLIERS}('GONE')").status_code == 404
