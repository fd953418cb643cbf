"""The spec checks themselves: they read Basware's own OpenAPI files, and they reject the old shapes."""

from __future__ import annotations

import json
from typing import Any

import pytest
import spec as spec_module
from spec import SPEC_VERSION, VENDORED, Spec, load, request_schemas, require_spec

import basware_openapi
from mlc_sandbox.seed import INVALID_KINDS, SeedConfig, build_dataset


@pytest.fixture(scope="module")
def spec() -> Spec:
    require_spec()
    return load()


class FakeResponse:
    def __init__(self, status: int, body: Any) -> None:
        self.status_code = status
        self.content = json.dumps(body).encode()
        self.headers = {"content-type": "application/json"}
        self._body = body

    def json(self) -> Any:
        return self._body


def test_the_spec_files_are_the_version_the_readme_names(spec: Spec) -> None:
    assert spec.version == SPEC_VERSION


def test_the_simulator_validates_requests_with_the_spec_s_own_schemas(spec: Spec) -> None:
    vendored = json.loads(VENDORED.read_text(encoding="utf-8"))
    assert vendored == request_schemas(spec), (
        f"{VENDORED} differs from the spec: run "
        "`PYTHONPATH=tests .venv/bin/python tests/sandbox/contract/basware/spec.py --write`")


def test_seed_documents_valid_and_deliberately_invalid_match_the_document_schema(spec: Spec) -> None:
    data = build_dataset(SeedConfig(invoices=60))
    docs = [data.invoice(i) for i in range(60)] + [data.invoice(0, invalid_kind=k) for k in INVALID_KINDS]
    spec.validate("GET", "/v1/accountingDocuments", 200, {"accountingDocuments": docs})


def test_a_bare_array_of_documents_is_rejected(spec: Spec) -> None:
    doc = build_dataset(SeedConfig(invoices=1)).invoice(0)
    with pytest.raises(AssertionError, match="does not match Basware's spec"):
        spec.check("GET", "/v1/accountingDocuments", FakeResponse(200, [doc]))
    for path, wrapper in (("/v1/vendors", "vendorEntities"), ("/v1/accounts", "accounts"),
                          ("/v1/costCenters", "costCenters"), ("/v1/lists/ACC_LIST_1", "listItems"),
                          ("/v1/tasks", "taskStatus"), ("/v1/subscriptions", "subscriptions"),
                          ("/v1/requestStatus", "requestStatus")):
        with pytest.raises(AssertionError):
            spec.check("GET", path, FakeResponse(200, []))
        spec.check("GET", path, FakeResponse(200, {wrapper: []}))


def test_a_document_with_tax_sum_instead_of_tax_sum_1_is_rejected(spec: Spec) -> None:
    doc = build_dataset(SeedConfig(invoices=1)).invoice(0)
    old = {k: v for k, v in doc.items() if k not in ("taxSum1", "taxSum2", "taxPercent1", "taxPercent2")}
    old["taxSum"] = doc["taxSum1"]
    with pytest.raises(AssertionError, match="taxSum"):
        spec.validate("GET", "/v1/accountingDocuments", 200, {"accountingDocuments": [old]})


@pytest.mark.parametrize("change", [
    {"netSum": "100.00"},  # amounts are numbers
    {"invoiceDate": "2026-10-12"},  # dates are date-times
    {"lastUpdated": "2026-10-12T10:00:00"},  # ... with an offset
    {"paymentBlock": None},
])
def test_old_or_loose_document_fields_are_rejected(spec: Spec, change: dict[str, Any]) -> None:
    doc = {**build_dataset(SeedConfig(invoices=1)).invoice(0), **change}
    with pytest.raises(AssertionError):
        spec.validate("GET", "/v1/accountingDocuments", 200, {"accountingDocuments": [doc]})


def test_an_undocumented_status_fails_unless_it_is_a_listed_simulator_choice(spec: Spec) -> None:
    with pytest.raises(AssertionError, match="does not document"):
        spec.check("POST", "/v1/accountingDocuments/x/transferResponses", FakeResponse(409, {}))
    spec.check("GET", "/v1/vendors", FakeResponse(429, {"anything": True}))


def test_without_the_spec_the_checks_skip_but_fail_under_ci(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    monkeypatch.setattr(basware_openapi, "SPEC_DIR", tmp_path)
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="not in"):
        spec_module.require_spec()
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI must have"):
        spec_module.require_spec()
