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


def test_mi_modified_error_is_a_500_with_that_code_and_nothing_is_done(ifs: Ifs) -> None:
    rule = {"kind": "mi_modified_error", "system": "ifs", "method": "POST", "times": 1}
    assert ifs.admin("POST", "/faults", json=rule).status_code == 201
    response = ifs.post(SUPPLIERS, {"SupplierId": "MI1", "Name": "Modified"})
    assert response.status_code == 500
    assert error_of(response)["code"] == "MI_MODIFIED_ERROR"
    assert ifs.sim.entity("SupplierInfoGeneralSet", SupplierId="MI1") is None  # answered before it ran
    assert ifs.post(SUPPLIERS, {"SupplierId": "MI1", "Name": "Modified"}).status_code == 201
    assert [f["kind"] for f in ifs.admin("GET", "/faults/log").json()] == ["mi_modified_error"]


def test_operation_timeout_is_a_504_odp_operation_timeout(ifs: Ifs) -> None:
    ifs.admin("POST", "/faults", json={"kind": "operation_timeout", "system": "ifs", "method": "GET", "times": 1})
    response = ifs.get(SUPPLIERS, params={"$top": 1})
    assert response.status_code == 504
    assert error_of(response)["code"] == "ODP_OPERATION_TIMEOUT"
    assert ifs.get(SUPPLIERS, params={"$top": 1}).status_code == 200


def test_ifs_error_faults_are_in_the_chaos_profile() -> None:
    from mlc_sandbox.faults import profile

    kinds = {(r.kind, r.system) for r in profile("chaos").rules}
    assert {("mi_modified_error", "ifs"), ("operation_timeout", "ifs")} <= kinds
