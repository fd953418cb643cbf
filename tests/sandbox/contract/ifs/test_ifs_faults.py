"""Gateway faults (429/503 with Retry-After) through the shared faults admin endpoint."""

from __future__ import annotations

from .conftest import SUPPLIERS, Ifs, error_of


def test_429_with_retry_after_then_recovery(ifs: Ifs) -> None:
    rule = {"kind": "status", "system": "ifs", "status": 429, "retry_after": 2, "times": 1}
    assert ifs.admin("POST", "/faults", json=rule).status_code == 201
    response = ifs.get(SUPPLIERS, params={"$top": 1})
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "2"
    assert error_of(response)["code"] == "SANDBOX_FAULT"
    assert response.headers["X-Request-Id"]
    assert ifs.get(SUPPLIERS, params={"$top": 1}).status_code == 200


def test_503_on_writes_only_and_the_log_shows_it(ifs: Ifs) -> None:
    ifs.admin("POST", "/faults", json={"kind": "status", "system": "ifs", "status": 503, "method": "POST",
                                       "path": "SupplierInfoGeneralSet", "times": 2})
    assert ifs.get(SUPPLIERS, params={"$top": 1}).status_code == 200
    assert ifs.post(SUPPLIERS, {"SupplierId": "F1", "Name": "Fault"}).status_code == 503
    assert ifs.post(SUPPLIERS, {"SupplierId": "F1", "Name": "Fault"}).status_code == 503
    assert ifs.post(SUPPLIERS, {"SupplierId": "F1", "Name": "Fault"}).status_code == 201
    statuses = [e["status"] for e in ifs.sim.requests() if e["method"] == "POST" and "Supplier" in e["path"]]
    assert statuses == [503, 503, 201]
    assert [f["rule"] for f in ifs.admin("GET", "/faults/log").json()] == ["f1", "f1"]


def test_the_token_endpoint_can_fail_too(ifs: Ifs) -> None:
    ifs.admin("POST", "/faults", json={"kind": "status", "system": "ifs", "status": 503,
                                       "path": "openid-connect", "times": 1})
    assert ifs.fetch_token().status_code == 503
    assert ifs.fetch_token().status_code == 200


def test_faults_for_other_systems_do_not_fire(ifs: Ifs) -> None:
    ifs.admin("POST", "/faults", json={"kind": "status", "system": "basware", "status": 500})
    assert ifs.get(SUPPLIERS, params={"$top": 1}).status_code == 200
