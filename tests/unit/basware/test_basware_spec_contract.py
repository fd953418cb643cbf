"""The client against Basware's published OpenAPI files: every request it sends is validated against the
operation's request schema (and query parameters), and it reads answers built from the response schemas.

A recording server plays Basware: each answer it gives is itself checked against the spec first.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

import pytest
from basware_contract_spec import BaswareSpec, assert_valid, example, load_spec, require_spec

from ml_connector.basware.client import BaswareClient
from ml_connector.basware.master_data import account_record, cost_center_record
from ml_connector.basware.models import AccountingDocument
from ml_connector.http.retry import RetryPolicy

if TYPE_CHECKING:
    from conftest import LocalServer, Recorded, Reply

HOOK_URL = "https://airflow.example.com/ml-connector/webhooks/basware/acme"


@pytest.fixture(scope="module")
def spec() -> BaswareSpec:
    require_spec()
    return load_spec()


def to_json(value: Any) -> bytes:
    """JSON numbers for Decimals, as Basware sends them."""
    def plain(v: Any) -> Any:
        if isinstance(v, Decimal):
            return float(v) if v != v.to_integral_value() else int(v)
        if isinstance(v, dict):
            return {k: plain(x) for k, x in v.items()}
        if isinstance(v, list):
            return [plain(x) for x in v]
        return v
    return json.dumps(plain(value)).encode()


class SpecBasware:
    """Answers each operation with an instance of its 200 schema; keeps the subscriptions it is given."""

    def __init__(self, server: LocalServer, spec: BaswareSpec) -> None:
        self.server, self.spec = server, spec
        self.subscriptions: list[dict[str, Any]] = []
        self.clock = iter(f"2026-09-25T08:{m:02d}:00Z" for m in range(60))
        server.handler = self.handle

    def answer(self, req: Recorded) -> Any:
        ex = self.spec
        if req.path == "/v1/tokens":
            return {"access_token": "spec-token", "token_type": "Bearer", "expires_in": 3600, "scope": "x"}
        op = ex.operation(req.method, req.path)
        bodies: dict[str, Callable[[], Any]] = {
            "GET /v1/accountingDocuments": lambda: example(ex, "p2p", "AccountingDocumentResponse", depth=6),
            "GET /v1/accountingDocuments/{invoiceId}":
                lambda: example(ex, "p2p", "AccountingDocumentResponse", depth=6),
            "POST /v1/accountingDocuments/{invoiceId}/transferResponses": req.json,
            "GET /v1/vendors": lambda: example(ex, "p2p", "VendorResponse", depth=6),
            "PATCH /v1/vendors/{externalCode}": req.json,
            "GET /v1/lists/{listKey}": lambda: example(ex, "p2p", "GenericListResponse"),
            "GET /v1/requestStatus": lambda: example(ex, "p2p", "RequestStatusResponse", depth=6),
            "GET /v1/requestStatus/{requestId}": lambda: example(ex, "p2p", "RequestStatusResponse", depth=6),
            "GET /v1/tasks": lambda: example(ex, "push", "TasksResponse", depth=4),
            "GET /v1/tasks/{taskId}": lambda: example(ex, "push", "TasksResponse", depth=4),
            "GET /v1/subscriptions": lambda: {"subscriptions": self.subscriptions},
            "POST /v1/subscriptions": lambda: self.subscribe(req.json()),
            "DELETE /v1/subscriptions": lambda: self.unsubscribe(req.query),
        }
        if op.name in bodies:
            return bodies[op.name]()
        says = op.node["responses"]["200"].get("content", {}).get("application/json", {}).get("schema", {})
        return "ok" if says.get("type") == "string" else req.json()  # acknowledges say ok; master data echoes

    def handle(self, req: Recorded) -> Reply:
        body = self.answer(req)
        if req.path != "/v1/tokens":
            op = self.spec.operation(req.method, req.path)
            if isinstance(body, (dict, list)) and "content" in op.node["responses"]["200"] and \
                    "application/json" in op.node["responses"]["200"]["content"]:
                assert_valid(self.spec, self.spec.response_ref(op), body, f"the fake's answer to {op.name}")
        return self.server.Reply(200, to_json(body),
                                 {"Content-Type": "application/json", "x-amzn-RequestId": "amzn-spec-1"})

    def subscribe(self, body: list[dict[str, Any]]) -> list[dict[str, Any]]:
        made = [{**s, "lastUpdated": next(self.clock)} for s in body]
        self.subscriptions.extend(made)
        return made

    def unsubscribe(self, query: dict[str, list[str]]) -> dict[str, Any]:
        after = datetime.fromisoformat(query["lastUpdated"][0].replace("Z", "+00:00"))
        keep = [s for s in self.subscriptions if not (
            query["taskType"][0] in ("All", s["taskType"]) and query["taskSubType"][0] in ("All", s["taskSubType"])
            and datetime.fromisoformat(s["lastUpdated"].replace("Z", "+00:00")) > after)]
        deleted, self.subscriptions = len(self.subscriptions) - len(keep), keep
        return {"status": "Success", "numberOfRecordsDeleted": deleted}


@pytest.fixture
def fake(server: LocalServer, spec: BaswareSpec) -> SpecBasware:
    return SpecBasware(server, spec)


@pytest.fixture
def client(server: LocalServer, fake: SpecBasware) -> Iterator[BaswareClient]:
    with BaswareClient(server.url, "bw-client", "bw-secret", retry=RetryPolicy.no_wait(),
                       sleep=lambda s: None) as bw:
        yield bw


def check_all(spec: BaswareSpec, server: LocalServer) -> set[str]:
    """Every recorded request against the spec; the names of the operations seen."""
    seen = set()
    for req in server.requests:
        ctype = req.headers.get("content-type", "").split(";")[0] or None
        if req.path == "/v1/tokens":
            form = {k: v[0] for k, v in parse_qs(req.body.decode()).items()}
            op = spec.operation("POST", "/v1/tokens")
            assert_valid(spec, spec.request_ref(op, "application/x-www-form-urlencoded"), form, "the token form")
            assert req.headers["authorization"].startswith("Basic ")
            seen.add(op.name)
            continue
        body = json.loads(req.body, parse_float=Decimal) if req.body else None
        seen.add(spec.check_request(req.method, req.path, req.query, body, ctype).name)
    return seen


def exercise(client: BaswareClient) -> None:
    """Every call the client offers, once, with realistic arguments."""
    docs = client.documents
    list(docs.iter(company_code="US10", last_updated=datetime(2026, 9, 1, tzinfo=UTC), page_size=50))
    docs.get("INV-1")
    docs.acknowledge("INV-1")
    docs.transfer_response("INV-1", external_code="5f0c1d2e-0000-4000-8000-000000000001", success=True,
                           message="Posting proposal 10/4711 created in IFS Cloud", voucher_number1="10/4711")
    docs.transfer_response("INV-2", external_code="5f0c1d2e-0000-4000-8000-000000000002", success=False,
                           message="", payment_block=True)
    vendor = example(load_spec(), "p2p", "VendorEntity", depth=6)
    client.vendors.upsert([vendor])
    client.vendors.patch(str(vendor["externalCode"]), vendor)
    list(client.vendors.iter(company_code="US10", last_updated="2026-09-01T00:00:00Z"))
    md = client.master_data
    md.upsert_accounts([account_record("6000", {"en-US": "Raw materials"}, ["US10", "DE20"], tax_code="V7")])
    md.upsert_cost_centers([cost_center_record("CC1001", {"en-US": "Assembly", "de-DE": "Montage"}, ["US10"])])
    md.upsert_list("ACC_LIST_1", [{"externalCode": "PRJ-ERP", "text_1": "PRJ-ERP", "text_2": "ERP project",
                                   "companies": [{"companyCode": "US10", "active": True}]}])
    list(md.iter_list("ACC_LIST_1", company_code="US10"))
    rs = client.request_status
    rs.get("amzn-1")
    list(rs.iter_errors(entity_type="Account"))
    rs.acknowledge_errors(["amzn-1"])
    subs = client.subscriptions
    subs.create(HOOK_URL, "hook-secret-value-1")
    subs.existing("AccountingDocuments", "WaitingForTransfer")
    subs.delete("AccountingDocuments", "WaitingForTransfer", datetime(2026, 1, 1, tzinfo=UTC))
    list(subs.list_tasks(task_type="AccountingDocuments", task_status="Completed", document_id="INV-1"))
    subs.get_task("task-1")


EXPECTED = {
    "POST /v1/tokens", "GET /v1/accountingDocuments", "GET /v1/accountingDocuments/{invoiceId}",
    "POST /v1/accountingDocuments/{invoiceId}/acknowledge",
    "POST /v1/accountingDocuments/{invoiceId}/transferResponses", "POST /v1/vendors",
    "PATCH /v1/vendors/{externalCode}", "GET /v1/vendors", "POST /v1/accounts", "POST /v1/costCenters",
    "POST /v1/lists/{listKey}", "GET /v1/lists/{listKey}", "GET /v1/requestStatus/{requestId}",
    "GET /v1/requestStatus", "POST /v1/requestStatus/acknowledge", "POST /v1/subscriptions",
    "GET /v1/subscriptions", "DELETE /v1/subscriptions", "GET /v1/tasks", "GET /v1/tasks/{taskId}",
}


def test_every_request_the_client_sends_matches_the_spec(
    spec: BaswareSpec, server: LocalServer, client: BaswareClient
) -> None:
    exercise(client)
    assert check_all(spec, server) == EXPECTED


def test_transfer_responses_carry_payment_block_and_a_message(
    server: LocalServer, client: BaswareClient, spec: BaswareSpec
) -> None:
    client.documents.transfer_response("INV-9", external_code="code-9", success=False, message="  ")
    (sent,) = [r.json() for r in server.requests if r.path.endswith("/transferResponses")]
    assert sent["paymentBlock"] is False and sent["responseMessage"] == "Transfer failed"
    check_all(spec, server)


def test_the_spec_checker_catches_what_the_old_client_sent(spec: BaswareSpec) -> None:
    """The validation has teeth: yesterday's shapes fail it."""
    old_transfer = {"externalCode": "x", "success": True, "responseMessage": "ok", "sourceSystem": "IFS Cloud"}
    with pytest.raises(AssertionError, match="paymentBlock"):
        spec.check_request("POST", "/v1/accountingDocuments/I/transferResponses", {}, old_transfer,
                           "application/json")
    old_account = [{"accountCode": "6000", "names": [{"language": "en-US", "translation": "Raw"}]}]
    with pytest.raises(AssertionError, match="externalCode"):
        spec.check_request("POST", "/v1/accounts", {}, old_account, "application/json")
    with pytest.raises(AssertionError, match="required query parameter 'lastUpdated'"):
        spec.check_request("DELETE", "/v1/subscriptions", {"taskType": ["All"]}, None, None)


def test_spec_shaped_answers_are_read(client: BaswareClient, spec: BaswareSpec) -> None:
    [doc] = list(client.documents.iter())
    assert doc == client.documents.get("invoiceId-1")
    parsed = AccountingDocument.model_validate(doc)
    assert parsed.invoice_id == "invoiceId-1" and parsed.tax == Decimal("25.0")  # taxSum1 + taxSum2
    assert isinstance(doc["netSum"], Decimal) and parsed.coding_rows[0].external_code == "externalCode-1"
    assert parsed.coding_rows[0].tax == Decimal("25.0")  # taxSum + taxSum2
    [vendor] = list(client.vendors.iter())
    assert vendor["paymentTerms"]["paymentTermCode"] == "paymentTermCode-1"  # one object, not a list
    [item] = list(client.master_data.iter_list("ACC_LIST_2"))
    assert item["externalCode"] == "externalCode-1"
    status = client.request_status.get("r-1")
    assert status is not None and status.request_status == "InProgress" and status.records()
    assert [s.request_id for s in client.request_status.iter_errors()] == ["requestId-1"]
    [task] = list(client.subscriptions.list_tasks())
    assert task["taskId"] == "taskId-1" and client.subscriptions.get_task("taskId-1") == task


def test_subscribing_twice_leaves_one_subscription_and_a_new_secret_replaces_it(
    spec: BaswareSpec, server: LocalServer, client: BaswareClient, fake: SpecBasware
) -> None:
    from ml_connector.airflow.subscribe import ensure_subscription

    other = {"taskType": "AccountingDocuments", "taskSubType": "Transferred", "subscriptionType": "Webhook",
             "notificationWebhookURL": "https://elsewhere.example/hook", "webhookAuthenticationToken": "theirs",
             "lastUpdated": "2026-09-25T09:30:00Z"}
    fake.subscriptions.append(other)
    assert ensure_subscription(client.subscriptions, HOOK_URL, "secret-one-abc") == "created"
    assert ensure_subscription(client.subscriptions, HOOK_URL, "secret-one-abc") == "reused"
    ours = [s for s in fake.subscriptions if s["notificationWebhookURL"] == HOOK_URL]
    assert len(ours) == 1 and ours[0]["webhookAuthenticationToken"] == "secret-one-abc"
    assert ensure_subscription(client.subscriptions, HOOK_URL, "secret-two-xyz", new_secret=True) == "replaced"
    ours = [s for s in fake.subscriptions if s["notificationWebhookURL"] == HOOK_URL]
    assert [s["webhookAuthenticationToken"] for s in ours] == ["secret-two-xyz"]
    assert other in fake.subscriptions  # another subtype is never deleted
    methods = [r.method for r in server.requests if r.path == "/v1/subscriptions"]
    assert methods == ["GET", "POST", "GET", "GET", "DELETE", "POST"]
    fake.subscribe([dict(ours[0])])  # a duplicate of ours (same URL, type, subtype): replaced by one
    assert ensure_subscription(client.subscriptions, HOOK_URL, "secret-two-xyz") == "replaced"
    assert len([s for s in fake.subscriptions if s["notificationWebhookURL"] == HOOK_URL]) == 1
    check_all(spec, server)


def test_replacing_refuses_to_delete_someone_elses_subscription(client: BaswareClient, fake: SpecBasware) -> None:
    from ml_connector.airflow.subscribe import ensure_subscription
    from ml_connector.config import ConfigError

    assert ensure_subscription(client.subscriptions, HOOK_URL, "secret-one-abc") == "created"
    fake.subscribe([{"taskType": "AccountingDocuments", "taskSubType": "WaitingForTransfer",
                     "subscriptionType": "Webhook", "notificationWebhookURL": "https://other.example/hook",
                     "webhookAuthenticationToken": "theirs"}])
    with pytest.raises(ConfigError, match="would also delete 1 other"):
        ensure_subscription(client.subscriptions, HOOK_URL, "secret-two-xyz", new_secret=True)
    assert len(fake.subscriptions) == 2
