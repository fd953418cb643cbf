"""A bounded schemathesis run against the Basware simulator, from Basware's own OpenAPI files.

A few generated requests (positive data only) per operation the simulator implements, to the simulator
on 127.0.0.1; every answer is checked for: no 5xx, a documented status, a documented content type and
headers, a body matching the response schema. Webhook URLs in generated subscriptions are pointed at a
local receiver (and the simulator refuses any non-loopback target anyway): nothing leaves the machine.

Failures listed in `schemathesis_allowlist.yaml` (each with its reason) are tolerated; any other fails.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import schemathesis
import yaml
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import checks as st_checks
from schemathesis.core.failures import Failure, FailureGroup

from basware_openapi import SPEC_DIR, require_spec
from conftest import ALL_SCOPES, Receiver, webhook_receiver
from mlc_sandbox.basware import BaswareSettings, BaswareSimulator
from mlc_sandbox.faults import FaultInjector
from mlc_sandbox.seed import SeedConfig, build_dataset
from mlc_sandbox.server import ThreadedServer, serve

ALLOWLIST = Path(__file__).with_name("schemathesis_allowlist.yaml")
EXAMPLES = 5
# The operations the simulator implements, per spec file (method, path template).
IMPLEMENTED = {
    "basware-p2p-openapi.json": (
        "GET /v1/accountingDocuments", "GET /v1/accountingDocuments/{invoiceId}",
        "POST /v1/accountingDocuments/{invoiceId}/acknowledge",
        "POST /v1/accountingDocuments/{invoiceId}/transferResponses",
        *(f"{m} /v1/{r}" for r in ("accounts", "costCenters", "vendors") for m in ("GET", "POST", "DELETE")),
        *(f"{m} /v1/{r}/{{externalCode}}" for r in ("accounts", "costCenters", "vendors") for m in ("GET", "PATCH")),
        "GET /v1/lists/{listKey}", "POST /v1/lists/{listKey}", "DELETE /v1/lists/{listKey}",
        "GET /v1/lists/{listKey}/{externalCode}", "PATCH /v1/lists/{listKey}/{externalCode}",
        "GET /v1/requestStatus", "GET /v1/requestStatus/{requestId}", "POST /v1/requestStatus/acknowledge",
    ),
    "basware-authentication-openapi.json": ("POST /v1/tokens",),
    "basware-push-notification-openapi.json": (
        "POST /v1/subscriptions", "GET /v1/subscriptions", "DELETE /v1/subscriptions", "GET /v1/tasks",
        "GET /v1/tasks/{taskId}",
    ),
}
CHECKS = [st_checks.not_a_server_error, st_checks.status_code_conformance, st_checks.content_type_conformance,
          st_checks.response_headers_conformance, st_checks.response_schema_conformance]


@cache
def _schema(name: str) -> Any:
    return schemathesis.openapi.from_path(str(SPEC_DIR / name))


def _allowed() -> list[dict[str, Any]]:
    entries = yaml.safe_load(ALLOWLIST.read_text(encoding="utf-8")) or []
    for entry in entries:
        assert {"operation", "status", "reason"} <= set(entry), f"allow-list entry without a reason: {entry}"
    return entries


def _tolerated(label: str, status: int, entries: list[dict[str, Any]]) -> bool:
    return any(re.fullmatch(e["operation"], label) and status == e["status"] for e in entries)


@pytest.fixture(scope="module")
def simulator(receiver_module: Receiver) -> Iterator[tuple[BaswareSimulator, ThreadedServer]]:
    sim = BaswareSimulator(build_dataset(SeedConfig(invoices=40, suppliers=20)), FaultInjector(),
                           BaswareSettings(webhook_attempts=1, webhook_timeout=2.0))
    with serve(sim.app) as server:
        yield sim, server
    sim.close()


@pytest.fixture(scope="module")
def receiver_module() -> Iterator[Receiver]:
    with webhook_receiver() as receiver:
        yield receiver


def _token(sim: BaswareSimulator, url: str) -> str:
    import requests

    settings = sim.settings
    response = requests.post(f"{url}/v1/tokens", data={"grant_type": "client_credentials", "scope": ALL_SCOPES},
                             auth=(settings.client_id, settings.client_secret), timeout=10)
    return str(response.json()["access_token"])


def _run_operation(operation: Any, base_url: str, token: str, receiver_url: str,
                   found: list[tuple[str, int, str]]) -> None:
    label = f"{operation.method.upper()} {operation.path}"

    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    @given(data=st.data())
    def run(data: st.DataObject) -> None:
        case = data.draw(operation.as_strategy())
        if label == "POST /v1/subscriptions" and isinstance(case.body, list):
            for item in case.body:
                if isinstance(item, dict) and "notificationWebhookURL" in item:
                    item["notificationWebhookURL"] = receiver_url
        headers = {"X-BW-REQUEST-ID": f"st-{time.monotonic_ns()}"}
        if operation.path != "/v1/tokens":
            headers["Authorization"] = f"Bearer {token}"
        response = case.call(base_url=base_url, headers=headers, allow_redirects=False, timeout=15)
        try:
            case.validate_response(response, checks=CHECKS)
        except (FailureGroup, Failure) as exc:
            failures = exc.exceptions if isinstance(exc, FailureGroup) else [exc]
            found.extend((label, response.status_code, f"{f.title}: {f.message[:200]} [{response.text[:200]}]")
                         for f in failures)

    run()


def test_schemathesis_finds_nothing_outside_the_allow_list(
        simulator: tuple[BaswareSimulator, ThreadedServer], receiver_module: Receiver) -> None:
    require_spec()
    sim, server = simulator
    token = _token(sim, server.url)
    found: list[tuple[str, int, str]] = []
    started = time.monotonic()
    for name, labels in IMPLEMENTED.items():
        schema = _schema(name)
        operations = [r.ok() for r in schema.get_all_operations()]
        by_label = {f"{op.method.upper()} {op.path}": op for op in operations}
        missing = set(labels) - set(by_label)
        assert not missing, f"not operations of {name}: {missing}"
        for label in labels:
            _run_operation(by_label[label], server.url, token, receiver_module.url, found)
    elapsed = time.monotonic() - started
    entries = _allowed()
    unexpected = sorted({f for f in found if not _tolerated(f[0], f[1], entries)})
    assert not unexpected, "schemathesis found:\n" + "\n".join(f"{o} -> {s}: {m}" for o, s, m in unexpected)
    # About 10-20 s on 2 cores; the bound only catches a run that grew out of hand (shared CI machines).
    assert elapsed < 120, f"the schemathesis run took {elapsed:.0f} s"
    assert {d["url"] for d in sim.webhook_deliveries} <= {receiver_module.url}  # nothing went elsewhere


def _old_shapes_app() -> Any:
    """A stand-in that answers the old simulator's shapes: a bare array, and a document with `taxSum`."""
    from starlette.applications import Starlette
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    doc = build_dataset(SeedConfig(invoices=1)).invoice(0)
    old = {k: v for k, v in doc.items() if k not in ("taxSum1", "taxSum2", "taxPercent1", "taxPercent2")}
    old["taxSum"] = doc["taxSum1"]
    return Starlette(routes=[
        Route("/v1/vendors", lambda request: JSONResponse([])),
        Route("/v1/accountingDocuments/{invoice_id}",
              lambda request: JSONResponse({"accountingDocuments": [old]})),
    ])


def test_schemathesis_rejects_a_bare_array_and_tax_sum() -> None:
    require_spec()
    schema = _schema("basware-p2p-openapi.json")
    with serve(_old_shapes_app()) as server:
        for path, method, params in (("/v1/vendors", "GET", {}),
                                     ("/v1/accountingDocuments/{invoiceId}", "GET", {"invoiceId": "x"})):
            case = schema[path][method].Case(path_parameters=params)
            response = case.call(base_url=server.url, allow_redirects=False, timeout=10)
            assert response.status_code == 200
            with pytest.raises((FailureGroup, Failure)):
                case.validate_response(response, checks=[st_checks.response_schema_conformance])
