from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import pytest

from ml_connector.basware.client import BaswareClient
from ml_connector.basware.master_data import account_record
from ml_connector.basware.models import AckResult
from ml_connector.http import errors
from ml_connector.http.retry import RetryPolicy

if TYPE_CHECKING:
    from conftest import LocalServer, Recorded, Reply  # the `server` fixture, tests/unit/conftest.py

TOKEN = {"access_token": "bw-access-token-1", "token_type": "Bearer", "expires_in": 3600}


class FakeBasware:
    """Just enough of Basware: tokens, a redirecting document list, a pre-signed 'S3' that refuses
    Authorization, and recorded POSTs."""

    def __init__(self, server: LocalServer, pages: list[list[dict[str, Any]]]) -> None:
        self.server, self.pages = server, pages
        self.routes: dict[tuple[str, str], Reply] = {}
        server.handler = self.handle

    def handle(self, req: Recorded) -> Reply:
        R = self.server.Reply
        if req.path == "/v1/tokens":
            return R(200, TOKEN)
        if (req.method, req.path) in self.routes:
            return self.routes[(req.method, req.path)]
        if req.method == "GET" and req.path == "/v1/accountingDocuments":
            if not self.pages:
                return R(404)
            token = req.headers.get("x-amz-meta-continuationtoken", "p0")
            return R(302, headers={"Location": f"/s3/docs/{token}?X-Amz-Signature=sig"})
        if req.path.startswith("/s3/docs/"):
            if "authorization" in req.headers:  # the pre-signed URL refuses a second credential
                return R(400, "<Error><Code>InvalidArgument</Code></Error>")
            index = int(req.path.rsplit("/p", 1)[1])
            headers = {"X-amz-meta-continuationToken": f"p{index + 1}"} if index + 1 < len(self.pages) else {}
            return R(200, {"accountingDocuments": self.pages[index]}, headers)
        return R(200, {}) if req.method == "POST" else R(404)


@pytest.fixture
def client(server: LocalServer) -> BaswareClient:
    return BaswareClient(
        server.url, "bw-client", "bw-secret", retry=RetryPolicy.no_wait(), sleep=lambda s: None
    )


def api_calls(server: LocalServer) -> list[Recorded]:
    return [r for r in server.requests if r.path.startswith("/v1/") and r.path != "/v1/tokens"]


def test_documents_follow_redirect_without_authorization_and_page_by_header(
    server: LocalServer, client: BaswareClient
) -> None:
    FakeBasware(server, [[{"invoiceId": "A"}, {"invoiceId": "B"}], [{"invoiceId": "C"}]])
    docs = list(client.documents.iter(company_code="10", page_size=2))
    assert [d["invoiceId"] for d in docs] == ["A", "B", "C"]

    lists = [r for r in server.requests if r.path == "/v1/accountingDocuments"]
    assert len(lists) == 2
    assert all(r.query == lists[0].query for r in lists)  # same query params on every page
    assert lists[0].query == {
        "ProcessingStatus": ["WaitingForTransfer"], "pageSize": ["2"], "companyCode": ["10"]
    }
    assert "x-amz-meta-continuationtoken" not in lists[0].headers
    assert lists[1].headers["x-amz-meta-continuationtoken"] == "p1"
    assert all(r.headers["authorization"] == "Bearer bw-access-token-1" for r in lists)

    s3 = [r for r in server.requests if r.path.startswith("/s3/")]
    assert len(s3) == 2
    assert all("authorization" not in r.headers and "x-bw-request-id" not in r.headers for r in s3)


def test_every_basware_call_has_a_fresh_uuid_request_id(server: LocalServer, client: BaswareClient) -> None:
    FakeBasware(server, [[{"invoiceId": "A"}], [{"invoiceId": "B"}]])
    list(client.documents.iter())
    client.documents.acknowledge("A")
    ids = [r.headers["x-bw-request-id"] for r in api_calls(server)]
    assert len(ids) == 3 and len(set(ids)) == 3
    assert all(uuid.UUID(i).version == 4 for i in ids)


def test_request_id_header_name_is_configurable(server: LocalServer) -> None:
    FakeBasware(server, [[{"invoiceId": "A"}]])
    client = BaswareClient(server.url, "c", "secret-cfg", request_id_header="X-Correlation-Id",
                           retry=RetryPolicy.no_wait())
    client.documents.acknowledge("A")
    (call,) = api_calls(server)
    assert "x-correlation-id" in call.headers and "x-bw-request-id" not in call.headers


def test_404_means_no_documents(server: LocalServer, client: BaswareClient) -> None:
    FakeBasware(server, [])
    assert list(client.documents.iter()) == []


def test_repeated_continuation_token_is_refused(server: LocalServer, client: BaswareClient) -> None:
    fake = FakeBasware(server, [[{"invoiceId": "A"}]])
    fake.routes[("GET", "/v1/vendors")] = server.Reply(200, {"vendorEntities": [{"externalCode": "V1"}]},
                                                       {"X-amz-meta-continuationToken": "again"})
    with pytest.raises(errors.PaginationLoopError):
        list(client.vendors.iter())


def test_get_accounting_document_follows_redirect(server: LocalServer, client: BaswareClient) -> None:
    fake = FakeBasware(server, [[{"invoiceId": "A"}]])
    redirect = server.Reply(302, headers={"Location": "/s3/docs/p0"})
    fake.routes[("GET", "/v1/accountingDocuments/INV 1")] = redirect
    assert client.documents.get("INV 1") == {"invoiceId": "A"}
    assert client.documents.get("missing") is None


def test_second_acknowledge_is_not_an_error(server: LocalServer, client: BaswareClient) -> None:
    fake = FakeBasware(server, [])
    assert client.documents.acknowledge("INV-1").result is AckResult.ACKNOWLEDGED
    fake.routes[("POST", "/v1/accountingDocuments/INV-1/acknowledge")] = server.Reply(405)
    assert client.documents.acknowledge("INV-1").result is AckResult.ALREADY_ACKNOWLEDGED


def test_transfer_response_body_and_limits(server: LocalServer, client: BaswareClient) -> None:
    fake = FakeBasware(server, [])
    fake.routes[("POST", "/v1/accountingDocuments/INV-1/transferResponses")] = server.Reply(
        200, {}, {"x-amzn-RequestId": "amzn-tr-1"})
    receipt = client.documents.transfer_response("INV-1", external_code="T-1", success=False, message="x" * 400,
                                                 voucher_number1="V100")
    assert receipt.request_id == "amzn-tr-1"
    assert receipt.client_request_id == api_calls(server)[-1].headers["x-bw-request-id"]
    body = api_calls(server)[-1].json()
    assert len(body["responseMessage"]) == 250 and body["responseMessage"].endswith("...")
    assert body["externalCode"] == "T-1" and body["success"] is False and body["voucherNumber1"] == "V100"
    assert body["transferDate"].endswith("Z")
    assert body["paymentBlock"] is False and body["sourceSystem"] == "IFS Cloud"  # required; at most 32
    with pytest.raises(ValueError):
        client.documents.transfer_response("INV-1", external_code="x" * 37, success=True)
    with pytest.raises(ValueError):
        client.documents.transfer_response("INV-1", external_code="T-2", success=True, source_system="s" * 33)


def test_transfer_response_is_not_resent_after_a_gateway_timeout(
    server: LocalServer, client: BaswareClient
) -> None:
    fake = FakeBasware(server, [])
    fake.routes[("POST", "/v1/accountingDocuments/INV-1/transferResponses")] = server.Reply(504)
    with pytest.raises(errors.OutcomeUnknownError):
        client.documents.transfer_response("INV-1", external_code="T-1", success=True)
    assert len(api_calls(server)) == 1


def test_upsert_vendors_chunks_by_200_and_returns_request_ids(
    server: LocalServer, client: BaswareClient
) -> None:
    fake = FakeBasware(server, [])
    fake.routes[("POST", "/v1/vendors")] = server.Reply(200, {"requestId": "req-v"})
    result = client.vendors.upsert({"externalCode": f"V{i}", "name": "n"} for i in range(450))
    posts = [r for r in api_calls(server) if r.method == "POST"]
    assert [len(r.json()) for r in posts] == [200, 200, 50]
    assert all(r.headers["content-type"] == "application/json" for r in posts)
    assert result.request_ids == ["req-v"] * 3 and result.sent == 450 and result.rejected == []


def test_upsert_accounts_respects_byte_limit_and_rejects_oversized(server: LocalServer) -> None:
    client = BaswareClient(
        server.url, "c", "secret-bytes", retry=RetryPolicy.no_wait(), max_request_bytes=2000
    )
    fake = FakeBasware(server, [])
    fake.routes[("POST", "/v1/accounts")] = server.Reply(200, {}, {"x-amzn-RequestId": "amzn-a"})
    accounts = [account_record(f"{i}", {"en-US": "t" * 80}, ["10"]) for i in range(60)]
    accounts += [account_record("BIG", {"en-US": "x" * 3000}, ["10"]), {"accountCode": "NOCODE"}]
    result = client.master_data.upsert_accounts(accounts)
    posts = [r for r in api_calls(server) if r.method == "POST"]
    assert all(len(r.body) <= 2000 for r in posts) and len(posts) > 1
    assert sum(len(r.json()) for r in posts) == 60 == result.sent
    assert [e.record_id for e in result.rejected] == ["BIG", None]  # None: no externalCode, never sent


def test_upsert_list_validates_key(client: BaswareClient) -> None:
    with pytest.raises(ValueError):
        client.master_data.upsert_list("ACC_LIST_36", [])
    with pytest.raises(ValueError):
        list(client.master_data.iter_list("INV_LIST_21"))
    with pytest.raises(ValueError):
        client.master_data.upsert_list("../vendors", [])


def test_wait_for_requests_polls_until_final(server: LocalServer, client: BaswareClient) -> None:
    fake = FakeBasware(server, [])
    states = iter(["InProgress", "Error"])
    item = {"externalCode": "V1", "status": "Error", "errors": [{"message": "bad company"}]}

    def status_reply(req: Recorded) -> Reply:
        if req.path == "/v1/requestStatus/req-1":
            return server.Reply(200, {"requestStatus": [{"requestId": "req-1", "requestStatus": next(states),
                                                         "systems": [{"system": "P2P", "items": [item]}]}]})
        return fake.handle(req)

    server.handler = status_reply
    slept: list[float] = []
    result = client.request_status.wait(["req-1"], timeout=60, poll_interval=5, sleep=slept.append)
    status = result["req-1"]
    assert status is not None and status.is_final and slept == [5]
    assert [r.external_code for r in status.failed_records()] == ["V1"]


def test_request_errors_are_listed_and_acknowledged(server: LocalServer, client: BaswareClient) -> None:
    fake = FakeBasware(server, [])
    fake.routes[("GET", "/v1/requestStatus")] = server.Reply(
        200, {"requestStatus": [{"requestId": "r1", "requestStatus": "Error"}]})
    errs = list(client.request_status.iter_errors())
    assert [e.request_id for e in errs] == ["r1"]
    assert api_calls(server)[-1].query["status"] == ["Error"]
    client.request_status.acknowledge_errors(["r1"])
    assert api_calls(server)[-1].json() == {"requestIds": ["r1"]}
    fake.routes[("POST", "/v1/requestStatus/acknowledge")] = server.Reply(405)
    client.request_status.acknowledge_errors(["r1"])  # already acknowledged: fine


def test_subscription_secret_is_sent_but_never_logged(
    server: LocalServer, client: BaswareClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("DEBUG")
    fake = FakeBasware(server, [])
    echo = {"taskType": "AccountingDocuments", "taskSubType": "WaitingForTransfer", "subscriptionType": "Webhook",
            "notificationWebhookURL": "https://hooks.example/bw", "webhookAuthenticationToken": "hook-shared-secret"}
    fake.routes[("POST", "/v1/subscriptions")] = server.Reply(200, [echo])
    answer = client.subscriptions.create("https://hooks.example/bw", "hook-shared-secret")
    assert answer == [echo]
    assert api_calls(server)[-1].json()[0]["webhookAuthenticationToken"] == "hook-shared-secret"
    assert "hook-shared-secret" not in caplog.text and "bw-access-token-1" not in caplog.text
    assert "bw-secret" not in repr(client)


def test_list_tasks_empty_on_404(server: LocalServer, client: BaswareClient) -> None:
    FakeBasware(server, [])
    assert list(client.subscriptions.list_tasks()) == []
    assert client.subscriptions.get_task("T-1") is None
    assert client.subscriptions.existing() == []


def test_token_is_fetched_once_for_many_calls(server: LocalServer, client: BaswareClient) -> None:
    FakeBasware(server, [])
    for i in range(5):
        client.documents.acknowledge(f"I{i}")
    assert client.tokens.token_requests == 1


@pytest.mark.parametrize(("path", "answer"), [
    ("/v1/accountingDocuments", [{"invoiceId": "A"}]),  # a bare array
    ("/v1/accountingDocuments", {"documents": [{"invoiceId": "A"}]}),  # another endpoint's key
    ("/v1/vendors", {"accountingDocuments": []}),
    ("/v1/requestStatus", {"items": []}),
    ("/v1/tasks", {"tasks": []}),
])
def test_list_answers_must_be_wrapped_under_the_endpoints_own_key(
    server: LocalServer, client: BaswareClient, path: str, answer: Any
) -> None:
    fake = FakeBasware(server, [])
    fake.routes[("GET", path)] = server.Reply(200, answer)
    read = {"/v1/accountingDocuments": client.documents.iter, "/v1/vendors": client.vendors.iter,
            "/v1/requestStatus": client.request_status.iter_errors, "/v1/tasks": client.subscriptions.list_tasks}
    with pytest.raises(errors.ProtocolError, match=path):
        list(read[path]())


def test_amounts_are_decoded_as_exact_decimals(server: LocalServer, client: BaswareClient) -> None:
    fake = FakeBasware(server, [])
    raw = b'{"accountingDocuments": [{"invoiceId": "A", "netSum": 0.1, "grossSum": 1234567890123.01, "n": 3}]}'
    fake.routes[("GET", "/v1/accountingDocuments/A")] = server.Reply(200, raw, {"Content-Type": "application/json"})
    doc = client.documents.get("A")
    assert doc is not None
    assert doc["netSum"] == Decimal("0.1") and doc["grossSum"] == Decimal("1234567890123.01")
    assert isinstance(doc["netSum"], Decimal) and doc["n"] == 3


def test_vendors_filter_by_company_and_tasks_by_status(server: LocalServer, client: BaswareClient) -> None:
    fake = FakeBasware(server, [])
    fake.routes[("GET", "/v1/vendors")] = server.Reply(200, {"vendorEntities": [{"externalCode": "V1"}]})
    fake.routes[("GET", "/v1/tasks")] = server.Reply(200, {"taskStatus": [{"taskId": "T1", "taskStatus": "New"}]})
    fake.routes[("GET", "/v1/tasks/T1")] = server.Reply(200, {"taskStatus": [{"taskId": "T1"}]})
    assert [v["externalCode"] for v in client.vendors.iter(company_code="10")] == ["V1"]
    assert api_calls(server)[-1].query == {"pageSize": ["500"], "companyCode": ["10"]}
    assert [t["taskId"] for t in client.subscriptions.list_tasks(task_status="New")] == ["T1"]
    assert api_calls(server)[-1].query == {"taskStatus": ["New"]}
    assert client.subscriptions.get_task("T1") == {"taskId": "T1"}
    with pytest.raises(ValueError):
        list(client.subscriptions.list_tasks(task_status="Done"))


def test_subscriptions_are_listed_and_deleted_by_query(server: LocalServer, client: BaswareClient) -> None:
    fake = FakeBasware(server, [])
    sub = {"taskType": "AccountingDocuments", "taskSubType": "WaitingForTransfer", "subscriptionType": "Webhook",
           "notificationWebhookURL": "https://h.example/x", "webhookAuthenticationToken": "listed-token-1"}
    fake.routes[("GET", "/v1/subscriptions")] = server.Reply(200, {"subscriptions": [sub]})
    fake.routes[("DELETE", "/v1/subscriptions")] = server.Reply(200, {"status": "ok", "numberOfRecordsDeleted": 1})
    assert client.subscriptions.existing("AccountingDocuments") == [sub]
    assert api_calls(server)[-1].query == {"taskType": ["AccountingDocuments"]}
    assert client.subscriptions.delete("AccountingDocuments", "WaitingForTransfer",
                                       datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)) == 1
    assert api_calls(server)[-1].query == {"lastUpdated": ["2026-01-02T03:04:05Z"],
                                           "taskType": ["AccountingDocuments"], "taskSubType": ["WaitingForTransfer"]}
