from __future__ import annotations

import pytest
import requests
from fastapi import FastAPI

from mlc_sandbox.faults import FaultInjector, FaultMiddleware, FaultRule, admin_router, profile
from mlc_sandbox.server import serve


def test_scripted_rule_skips_then_fires_a_fixed_number_of_times() -> None:
    injector = FaultInjector([FaultRule(kind="status", status=429, skip=1, times=2)])
    fired = [injector.take("ifs", "status", "GET", "/x") is not None for _ in range(5)]
    assert fired == [False, True, True, False, False]


def test_rule_matches_system_method_and_path() -> None:
    injector = FaultInjector([FaultRule(kind="status", system="basware", method="POST", path=r"/acknowledge$")])
    assert injector.take("ifs", "status", "POST", "/v1/accountingDocuments/1/acknowledge") is None
    assert injector.take("basware", "status", "GET", "/v1/accountingDocuments/1/acknowledge") is None
    assert injector.take("basware", "status", "POST", "/v1/accountingDocuments") is None
    assert injector.take("basware", "status", "POST", "/v1/accountingDocuments/1/acknowledge") is not None


def test_random_faults_are_reproducible_per_seed() -> None:
    def pattern(seed: int) -> list[bool]:
        injector = FaultInjector([FaultRule(kind="drop", probability=0.3)], seed=seed)
        return [injector.take("ifs", "drop", "GET", "/") is not None for _ in range(200)]

    assert pattern(1) == pattern(1)
    assert pattern(1) != pattern(2)
    assert 30 < sum(pattern(1)) < 90


def test_unknown_profile_is_refused_with_the_known_ones() -> None:
    with pytest.raises(ValueError, match="flaky"):
        profile("nope")


@pytest.fixture()
def faulty_app() -> tuple[FastAPI, FaultInjector]:
    injector = FaultInjector()
    app = FastAPI()

    @app.get("/v1/thing")
    def thing() -> dict[str, int]:
        return {"ok": 1}

    app.include_router(admin_router(injector))
    app.add_middleware(FaultMiddleware, injector=injector, system="ifs")
    return app, injector


def test_middleware_applies_status_and_drop_faults_over_http(faulty_app: tuple[FastAPI, FaultInjector]) -> None:
    app, _ = faulty_app
    with serve(app) as server:
        added = requests.post(f"{server.url}/_sandbox/faults", json=[
            {"kind": "status", "status": 429, "retry_after": 2, "times": 1},
            {"kind": "drop", "times": 1},
        ], timeout=5)
        assert added.status_code == 201
        limited = requests.get(f"{server.url}/v1/thing", timeout=5)
        assert limited.status_code == 429
        assert limited.headers["Retry-After"] == "2"
        assert limited.json()["error"]["code"] == "SANDBOX_FAULT"
        with pytest.raises(requests.exceptions.ChunkedEncodingError):
            requests.get(f"{server.url}/v1/thing", timeout=5)
        assert requests.get(f"{server.url}/v1/thing", timeout=5).json() == {"ok": 1}
        log = requests.get(f"{server.url}/_sandbox/faults/log", timeout=5).json()
        assert [entry["kind"] for entry in log] == ["status", "drop"]
        # the admin endpoints themselves are never faulted
        requests.post(f"{server.url}/_sandbox/faults", json={"kind": "status", "status": 500}, timeout=5)
        assert requests.get(f"{server.url}/_sandbox/faults", timeout=5).status_code == 200
        assert requests.delete(f"{server.url}/_sandbox/faults", timeout=5).status_code == 204
        assert requests.get(f"{server.url}/v1/thing", timeout=5).status_code == 200
