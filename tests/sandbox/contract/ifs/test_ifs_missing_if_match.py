"""Mutations without If-Match: an upsert in IFS 23R2-25R1 (the default), 428 in "reject" mode, and
recorded either way; If-None-Match is refused."""

from __future__ import annotations

from typing import Any

import pytest

from mlc_sandbox.faults import FaultInjector, FaultRule

from .conftest import INVOICES, SUPPLIERS, Factory, Ifs, error_of

ONE = f"{SUPPLIERS}('10001')"
pytestmark = pytest.mark.sends_without_if_match


def read(ifs: Ifs, path: str = ONE) -> tuple[dict[str, Any], str]:
    response = ifs.get(path)
    assert response.status_code == 200, response.text
    return response.json(), response.headers["ETag"]


def test_patch_without_if_match_updates_without_a_check_and_is_recorded(ifs: Ifs) -> None:
    _, etag = read(ifs)
    response = ifs.patch(ONE, {"Name": "Blind write"}, None)
    assert response.status_code == 204 and response.headers["ETag"] != etag
    assert read(ifs)[0]["Name"] == "Blind write"
    recorded = ifs.sim.mutations_without_if_match()
    assert [(e["method"], e["path"], e["outcome"]) for e in recorded] == [
        ("PATCH", f"/main/ifsapplications/projection/v1/{ONE}", "upsert")]
    assert ifs.admin("GET", "/ifs/mutations-without-if-match").json() == recorded
    assert ifs.admin("DELETE", "/ifs/mutations-without-if-match").status_code == 204
    assert ifs.sim.mutations_without_if_match() == []


def test_patch_without_if_match_on_an_absent_key_creates_the_entity(ifs: Ifs) -> None:
    path = f"{SUPPLIERS}('77777')"
    response = ifs.patch(path, {"Name": "Upserted Supplier", "Country": "SE"}, None)
    assert response.status_code == 201, response.text
    assert response.json()["SupplierId"] == "77777" and response.headers["ETag"]
    assert response.headers["Location"].endswith("SupplierInfoGeneralSet(SupplierId='77777')")
    assert read(ifs, path)[0]["Name"] == "Upserted Supplier"
    contradicting = ifs.patch(f"{SUPPLIERS}('77778')", {"SupplierId": "OTHER", "Name": "X"}, None)
    assert contradicting.status_code == 400


def test_upsert_cannot_choose_a_key_the_server_assigns(ifs: Ifs) -> None:
    response = ifs.patch(f"{INVOICES}(Company='10',InvoiceId=999999)", {"InvoiceNo": "X"}, None)
    assert response.status_code == 404
    assert error_of(response)["code"] == "ODP_RESOURCE_NOTFOUND"


def test_with_if_match_an_absent_key_stays_404(ifs: Ifs) -> None:
    response = ifs.patch(f"{SUPPLIERS}('77777')", {"Name": "x"}, 'W/"bogus"')
    assert response.status_code == 404
    assert ifs.sim.mutations_without_if_match() == []


def test_another_users_change_is_silently_overwritten_without_if_match(make_ifs: Factory) -> None:
    injector = FaultInjector()
    ifs = make_ifs(injector=injector)
    injector.add(FaultRule(kind="concurrent_write", system="ifs", method="PATCH", times=1))
    assert ifs.patch(ONE, {"Name": "Lost update"}, None).status_code == 204  # with If-Match: 412
    history = ifs.values("HistoryLogHandling.svc/HistoryLogOverviewSet",
                         **{"$filter": "Keys eq 'SUPPLIER_ID=10001^'", "$orderby": "LogId"})
    assert [h["Username"] for h in history] == ["ALAIN.ACCOUNTANT", "IFS_SANDBOX_INTEGRATION"]


def test_delete_without_if_match_deletes_in_upsert_mode(ifs: Ifs) -> None:
    assert ifs.delete(ONE, None).status_code == 204
    assert ifs.get(ONE).status_code == 404
    assert [e["method"] for e in ifs.sim.mutations_without_if_match()] == ["DELETE"]


@pytest.mark.parametrize("method", ["PATCH", "DELETE"])
def test_reject_mode_answers_odp_missing_precondition_and_changes_nothing(make_ifs: Factory, method: str) -> None:
    ifs = make_ifs(missing_if_match="reject")
    before, etag = read(ifs)
    response = ifs.patch(ONE, {"Name": "x"}, None) if method == "PATCH" else ifs.delete(ONE, None)
    assert response.status_code == 428
    assert error_of(response)["code"] == "ODP_MISSING_PRECONDITION"
    assert read(ifs) == (before, etag)
    assert [(e["method"], e["outcome"]) for e in ifs.sim.mutations_without_if_match()] == [(method, "rejected")]


def test_reject_mode_status_is_configurable_and_can_be_switched_at_runtime(ifs: Ifs) -> None:
    settings = ifs.admin("PATCH", "/ifs/settings", json={"missing_if_match": "reject",
                                                         "missing_precondition_status": 400})
    assert settings.status_code == 200 and settings.json()["missing_if_match"] == "reject"
    response = ifs.patch(ONE, {"Name": "x"}, None)
    assert response.status_code == 400
    assert error_of(response)["code"] == "ODP_MISSING_PRECONDITION"
    assert ifs.admin("PATCH", "/ifs/settings", json={"missing_if_match": "sometimes"}).status_code == 400


def test_a_bound_action_without_if_match_is_recorded(ifs: Ifs) -> None:
    response = ifs.session.post(ifs.api(f"{ONE}/IfsApp.SupplierHandling.Approve"), json={}, timeout=10)
    assert response.status_code == 404  # the simulator implements no bound action
    assert [e["method"] for e in ifs.sim.mutations_without_if_match()] == ["POST"]


def test_creates_and_reads_are_not_mutations_of_an_existing_row(ifs: Ifs) -> None:
    assert ifs.post(SUPPLIERS, {"SupplierId": "NEW1", "Name": "New"}).status_code == 201
    read(ifs)
    assert ifs.sim.mutations_without_if_match() == []


@pytest.mark.parametrize("method", ["GET", "PATCH"])
def test_if_none_match_is_refused(ifs: Ifs, method: str) -> None:
    _, etag = read(ifs)
    headers = {"If-None-Match": etag, **({"If-Match": etag} if method == "PATCH" else {})}
    response = ifs.session.request(method, ifs.api(ONE), json={"Name": "x"} if method == "PATCH" else None,
                                   headers=headers, timeout=10)
    assert response.status_code == 400
    assert "If-None-Match is not supported" in error_of(response)["details"][0]["message"]
    assert read(ifs)[1] == etag
