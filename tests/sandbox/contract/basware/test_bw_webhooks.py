"""Subscriptions, ConnectionTest, signed notifications, retries, duplicate/out-of-order faults, tasks."""

from __future__ import annotations

import hashlib
import hmac
import time

from conftest import Api, Receiver
from mlc_sandbox.basware import BaswareSimulator
from mlc_sandbox.faults import FaultRule
from mlc_sandbox.seed import Dataset

SECRET = "shared-webhook-secret"


def _subscribe(api: Api, receiver: Receiver, secret: str = SECRET) -> dict:
    response = api.call("POST", "/v1/subscriptions", json=[{
        "taskType": "AccountingDocuments", "taskSubType": "WaitingForTransfer", "subscriptionType": "Webhook",
        "notificationWebhookURL": receiver.url, "webhookAuthenticationToken": secret}])
    assert response.status_code == 200, response.text
    return response.json()[0]


def _verify(api: Api, received: object, secret: str = SECRET) -> bool:
    headers, body = received.headers, received.body  # type: ignore[attr-defined]
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, headers[api.sim.settings.signature_header])


def test_subscribe_sends_a_signed_connection_test_first(api: Api, receiver: Receiver) -> None:
    sub = _subscribe(api, receiver)
    assert sub["notificationWebhookURL"] == receiver.url and sub["lastUpdated"]
    assert sub["webhookAuthenticationToken"] != SECRET  # required by the spec, but never handed back out
    assert len(receiver.received) == 1
    test = receiver.received[0]
    assert test.json["taskType"] == "ConnectionTest" and test.json["taskStatus"] == "New"
    assert _verify(api, test)
    listed = api.call("GET", "/v1/subscriptions").json()["subscriptions"]
    assert [s["notificationWebhookURL"] for s in listed] == [receiver.url]
    assert SECRET not in str(listed)
    assert api.call("GET", "/v1/subscriptions", params={"taskType": "Vendors"}).status_code == 404


def test_subscription_is_rejected_when_the_connection_test_is_not_answered_200(api: Api,
                                                                               receiver: Receiver) -> None:
    receiver.statuses = [500]
    response = api.call("POST", "/v1/subscriptions", json=[{
        "taskType": "AccountingDocuments", "taskSubType": "WaitingForTransfer", "subscriptionType": "Webhook",
        "notificationWebhookURL": receiver.url, "webhookAuthenticationToken": SECRET}])
    assert response.status_code == 400
    assert "ConnectionTest" in response.json()["errorMessages"][0]["message"]
    assert api.call("GET", "/v1/subscriptions").status_code == 404
    unreachable = api.call("POST", "/v1/subscriptions", json=[{
        "taskType": "AccountingDocuments", "taskSubType": "WaitingForTransfer", "subscriptionType": "Webhook",
        "notificationWebhookURL": "http://127.0.0.1:9/nothing", "webhookAuthenticationToken": SECRET}])
    assert unreachable.status_code == 400


def test_invalid_subscription_is_400(api: Api) -> None:
    response = api.call("POST", "/v1/subscriptions", json=[{
        "taskType": "AccountingDocuments", "taskSubType": "WaitingForTransfer", "subscriptionType": "Email",
        "notificationWebhookURL": "not a url", "webhookAuthenticationToken": ""}])
    assert response.status_code == 400
    assert len(response.json()["errorMessages"]) == 3


def _check_payloads(api: Api, receiver: Receiver) -> None:
    """Every delivery, ConnectionTest included, is a NotificationPayload of the push notification spec."""
    if api.spec is not None:
        for received in receiver.received:
            api.spec.validate_component("basware-push-notification-openapi.json", "NotificationPayload",
                                        received.json)


def test_each_document_reaching_waiting_for_transfer_is_notified_signed(api: Api, sim: BaswareSimulator,
                                                                        receiver: Receiver) -> None:
    _subscribe(api, receiver)
    ids = api.admin("POST", "/documents", json={"count": 3}).json()["invoiceIds"]
    assert sim.wait_for_webhooks(5)
    notes = receiver.notifications()
    assert [n.json["documentId"] for n in notes] == ids
    settings = sim.settings
    for note in notes:
        assert _verify(api, note)
        assert set(note.json) == {"taskId", "taskStatus", "taskType", "taskSubType", "documentId",
                                  "expirationTime"}
        assert note.json["taskType"] == "AccountingDocuments"
        assert note.json["taskSubType"] == "WaitingForTransfer"
        assert abs(int(note.headers[settings.timestamp_header]) - time.time()) < 10
        assert note.headers[settings.delivery_id_header]
    assert not _verify(api, notes[0], secret="wrong-secret")
    assert len({n.headers[settings.delivery_id_header] for n in notes}) == 3
    _check_payloads(api, receiver)


def test_notifications_are_sent_in_the_background(api: Api, sim: BaswareSimulator,
                                                  receiver: Receiver) -> None:
    _subscribe(api, receiver)
    sim.settings.webhook_retry_delay = 3.0
    receiver.statuses = [503]  # the first attempt fails: the retry comes 3 s later
    started = time.monotonic()
    api.admin("POST", "/documents", json={"count": 1})
    assert time.monotonic() - started < 2.5  # the admin call did not wait for the retried delivery
    assert sim.wait_for_webhooks(10)


def test_failed_deliveries_are_retried_with_the_same_delivery_id(api: Api, sim: BaswareSimulator,
                                                                 receiver: Receiver) -> None:
    _subscribe(api, receiver)
    receiver.statuses = [500, 503]
    api.admin("POST", "/documents", json={"count": 1})
    assert sim.wait_for_webhooks(5)
    notes = receiver.notifications()
    assert len(notes) == 3
    assert len({n.headers[sim.settings.delivery_id_header] for n in notes}) == 1
    attempts = [d["status"] for d in sim.webhook_deliveries if d["taskType"] != "ConnectionTest"]
    assert attempts == [500, 503, 200]


def test_duplicate_webhook_fault_delivers_twice(api: Api, sim: BaswareSimulator, receiver: Receiver) -> None:
    _subscribe(api, receiver)
    sim.injector.add(FaultRule(kind="duplicate_webhook", system="basware", times=1))
    ids = api.admin("POST", "/documents", json={"count": 2}).json()["invoiceIds"]
    assert sim.wait_for_webhooks(5)
    notes = receiver.notifications()
    assert [n.json["documentId"] for n in notes] == [ids[0], ids[0], ids[1]]
    assert notes[0].body == notes[1].body
    header = sim.settings.delivery_id_header
    assert notes[0].headers[header] == notes[1].headers[header]


def test_out_of_order_webhook_fault_delivers_after_the_next_one(api: Api, sim: BaswareSimulator,
                                                                receiver: Receiver) -> None:
    _subscribe(api, receiver)
    sim.injector.add(FaultRule(kind="out_of_order_webhook", system="basware", times=1))
    ids = api.admin("POST", "/documents", json={"count": 3}).json()["invoiceIds"]
    assert sim.wait_for_webhooks(5)
    assert [n.json["documentId"] for n in receiver.notifications()] == [ids[1], ids[0], ids[2]]


def test_held_notification_is_not_lost_when_nothing_follows(api: Api, sim: BaswareSimulator,
                                                            receiver: Receiver) -> None:
    _subscribe(api, receiver)
    sim.injector.add(FaultRule(kind="out_of_order_webhook", system="basware", times=1))
    ids = api.admin("POST", "/documents", json={"count": 1}).json()["invoiceIds"]
    assert sim.wait_for_webhooks(5)
    assert [n.json["documentId"] for n in receiver.notifications()] == ids


def test_reset_to_waiting_for_transfer_notifies_with_a_new_task(api: Api, sim: BaswareSimulator,
                                                                receiver: Receiver, dataset: Dataset) -> None:
    _subscribe(api, receiver)
    invoice_id = dataset.invoice_id(0)
    seed_task = api.admin("GET", f"/documents/{invoice_id}").json()["task"]["taskId"]
    api.call("POST", f"/v1/accountingDocuments/{invoice_id}/acknowledge")
    api.admin("PUT", f"/documents/{invoice_id}/status", json={"processingStatus": "WaitingForTransfer"})
    assert sim.wait_for_webhooks(5)
    [note] = receiver.notifications()
    assert note.json["documentId"] == invoice_id and note.json["taskId"] != seed_task


def test_unsubscribe_by_query_stops_notifications(api: Api, sim: BaswareSimulator, receiver: Receiver) -> None:
    _subscribe(api, receiver)
    query = {"lastUpdated": "2000-01-01T00:00:00Z", "taskType": "All", "taskSubType": "WaitingForTransfer"}
    deleted = api.call("DELETE", "/v1/subscriptions", params=query)
    assert deleted.json() == {"status": "Deleted successfully", "numberOfRecordsDeleted": 1}
    assert api.call("DELETE", "/v1/subscriptions", params=query).json()["numberOfRecordsDeleted"] == 0
    missing = api.call("DELETE", "/v1/subscriptions", params={"taskType": "All"})
    assert missing.status_code == 422
    api.admin("POST", "/documents", json={"count": 1})
    assert sim.wait_for_webhooks(5)
    assert receiver.notifications() == []


def test_tasks_list_one_open_task_per_waiting_document(api: Api, sim: BaswareSimulator, dataset: Dataset,
                                                       receiver: Receiver) -> None:
    _subscribe(api, receiver)
    sim.settings.tasks_page_size = 100
    tasks = []
    headers: dict[str, str] = {}
    while True:
        page = api.call("GET", "/v1/tasks", params={"taskStatus": "New"}, headers=headers)
        assert page.status_code == 200
        tasks += page.json()["taskStatus"]
        if "X-amz-meta-continuationToken" not in page.headers:
            break
        headers = {"x-amz-meta-continuationtoken": page.headers["X-amz-meta-continuationToken"]}
    assert len(tasks) == dataset.config.invoices
    assert {t["documentId"] for t in tasks} == {dataset.invoice_id(i) for i in range(dataset.config.invoices)}
    api.call("POST", f"/v1/accountingDocuments/{dataset.invoice_id(0)}/acknowledge")
    new_ids = api.admin("POST", "/documents", json={"count": 1}).json()["invoiceIds"]
    assert sim.wait_for_webhooks(5)
    sim.settings.tasks_page_size = 500
    tasks = api.call("GET", "/v1/tasks", params={"taskStatus": "New"}).json()["taskStatus"]
    [note] = receiver.notifications()
    assert {"taskId": note.json["taskId"], "documentId": new_ids[0]}.items() <= tasks[-1].items()
    assert api.call("GET", "/v1/tasks", params={"taskType": "Vendors"}).status_code == 404
    one = api.call("GET", f"/v1/tasks/{note.json['taskId']}").json()["taskStatus"]
    assert [t["documentId"] for t in one] == new_ids
    assert api.call("GET", "/v1/tasks/nope").json() == {"detail": "Not Found"}


def test_task_statuses_follow_the_document(api: Api, dataset: Dataset) -> None:
    done, failed = dataset.invoice_id(1), dataset.invoice_id(2)
    for invoice_id, success in ((done, True), (failed, False)):
        api.call("POST", f"/v1/accountingDocuments/{invoice_id}/acknowledge")
        api.call("POST", f"/v1/accountingDocuments/{invoice_id}/transferResponses", json={
            "externalCode": f"TR-{invoice_id[:8]}", "success": success, "responseMessage": "m",
            "paymentBlock": False})
    for invoice_id, status in ((done, "Completed"), (failed, "Failed"), (dataset.invoice_id(3), "New")):
        [task] = api.call("GET", "/v1/tasks", params={"documentId": invoice_id}).json()["taskStatus"]
        assert task["taskStatus"] == status, invoice_id
    completed = api.call("GET", "/v1/tasks", params={"taskStatus": "Completed"}).json()["taskStatus"]
    assert [t["documentId"] for t in completed] == [done]
    # Sent back for transfer: a new task, and the failed one stays as it was.
    api.admin("PUT", f"/documents/{failed}/status", json={"processingStatus": "WaitingForTransfer"})
    both = api.call("GET", "/v1/tasks", params={"documentId": failed}).json()["taskStatus"]
    assert sorted(t["taskStatus"] for t in both) == ["Failed", "New"]
    old = next(t for t in both if t["taskStatus"] == "Failed")
    assert api.call("GET", f"/v1/tasks/{old['taskId']}").json()["taskStatus"][0]["taskStatus"] == "Failed"


def test_webhooks_go_only_to_loopback_unless_allowed(api: Api, sim: BaswareSimulator) -> None:
    for url in ("http://example.com/hooks", "http://10.0.0.5:8080/hooks", "http://[2001:db8::1]/hooks"):
        response = api.call("POST", "/v1/subscriptions", json=[{
            "taskType": "AccountingDocuments", "taskSubType": "WaitingForTransfer",
            "subscriptionType": "Webhook", "notificationWebhookURL": url,
            "webhookAuthenticationToken": SECRET}])
        assert response.status_code == 400, url
        assert "only to loopback" in response.json()["errorMessages"][0]["message"]
        assert "--allow-external-webhooks" in response.json()["errorMessages"][0]["message"]
    assert not sim.webhook_deliveries  # nothing was sent
    refused = api.admin("PATCH", "/settings", json={"allow_external_webhooks": True})
    assert refused.status_code == 400  # only the command line may allow it


def test_refusal_names_loopback_targets() -> None:
    from mlc_sandbox.basware.webhooks import refusal

    for url in ("http://127.0.0.1:8/x", "http://127.9.9.9/x", "http://localhost:80/x", "https://[::1]/x"):
        assert refusal(url, allow_external=False) is None, url
    for url in ("http://192.168.1.2/x", "http://localhost.example.com/x", "ftp://127.0.0.1/x"):
        assert refusal(url, allow_external=False), url
    assert refusal("http://example.com/x", allow_external=True) is None
