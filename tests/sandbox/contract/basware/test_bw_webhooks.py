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
    assert sub["subscriptionId"] and sub["status"] == "Active"
    assert "webhookAuthenticationToken" not in sub
    assert len(receiver.received) == 1
    test = receiver.received[0]
    assert test.json["taskType"] == "ConnectionTest"
    assert _verify(api, test)
    listed = api.call("GET", "/v1/subscriptions").json()
    assert [s["subscriptionId"] for s in listed] == [sub["subscriptionId"]]
    assert "webhookAuthenticationToken" not in listed[0]


def test_subscription_is_rejected_when_the_connection_test_is_not_answered_200(api: Api,
                                                                               receiver: Receiver) -> None:
    receiver.statuses = [500]
    response = api.call("POST", "/v1/subscriptions", json=[{
        "taskType": "AccountingDocuments", "taskSubType": "WaitingForTransfer", "subscriptionType": "Webhook",
        "notificationWebhookURL": receiver.url, "webhookAuthenticationToken": SECRET}])
    assert response.status_code == 400
    assert "ConnectionTest" in response.json()["errors"][0]["message"]
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
    assert len(response.json()["errors"]) == 3


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


def test_unsubscribe_stops_notifications(api: Api, sim: BaswareSimulator, receiver: Receiver) -> None:
    sub = _subscribe(api, receiver)
    assert api.call("DELETE", f"/v1/subscriptions/{sub['subscriptionId']}").status_code == 200
    assert api.call("DELETE", f"/v1/subscriptions/{sub['subscriptionId']}").status_code == 404
    api.admin("POST", "/documents", json={"count": 1})
    assert sim.wait_for_webhooks(5)
    assert receiver.notifications() == []


def test_tasks_list_one_open_task_per_waiting_document(api: Api, sim: BaswareSimulator, dataset: Dataset,
                                                       receiver: Receiver) -> None:
    _subscribe(api, receiver)
    tasks = []
    headers: dict[str, str] = {}
    while True:
        page = api.call("GET", "/v1/tasks", params={"pageSize": 100}, headers=headers)
        assert page.status_code == 200
        tasks += page.json()
        if "X-amz-meta-continuationToken" not in page.headers:
            break
        headers = {"x-amz-meta-continuationtoken": page.headers["X-amz-meta-continuationToken"]}
    assert len(tasks) == dataset.config.invoices
    assert {t["documentId"] for t in tasks} == {dataset.invoice_id(i) for i in range(dataset.config.invoices)}
    api.call("POST", f"/v1/accountingDocuments/{dataset.invoice_id(0)}/acknowledge")
    new_ids = api.admin("POST", "/documents", json={"count": 1}).json()["invoiceIds"]
    assert sim.wait_for_webhooks(5)
    tasks = api.call("GET", "/v1/tasks", params={"pageSize": 500}).json()
    assert dataset.invoice_id(0) not in {t["documentId"] for t in tasks}
    [note] = receiver.notifications()
    assert {"taskId": note.json["taskId"], "documentId": new_ids[0]}.items() <= tasks[-1].items()
    assert api.call("GET", "/v1/tasks", params={"taskType": "Vendors"}).status_code == 404
