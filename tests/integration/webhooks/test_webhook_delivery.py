"""The Basware simulator subscribes to the receiver and delivers signed notifications over real HTTP."""

from __future__ import annotations

import json

import pytest
import requests
from pydantic import SecretStr

from ml_connector.http.errors import MlConnectorError
from ml_connector.webhooks import TenantWebhook, sign
from mlc_sandbox.faults import FaultRule

from .support import SECRET, Wired


def test_subscribe_then_every_approved_document_is_recorded_and_triggered_once(wired: Wired) -> None:
    [sub] = wired.subscribe("acme")
    [test] = wired.deliveries("ConnectionTest")
    assert test["status"] == 200 and test["url"] == sub["notificationWebhookURL"]  # the spec gives no id
    assert wired.inbox() == [] and wired.triggers == []  # the ConnectionTest records nothing

    ids = wired.approve(3)
    sent = wired.deliveries()
    assert [d["status"] for d in sent] == [200, 200, 200]
    inbox = wired.inbox()
    assert {(d.delivery_id, d.document_id) for d in inbox} == \
        {(d["taskId"], d["documentId"]) for d in sent}
    assert sorted(d.document_id or "" for d in inbox) == sorted(ids)
    assert all(d.payload["taskSubType"] == "WaitingForTransfer" for d in inbox)
    assert sorted(wired.triggers) == sorted(("acme", [i]) for i in ids)


def test_duplicate_deliveries_are_answered_200_but_recorded_and_triggered_once(wired: Wired) -> None:
    wired.subscribe("acme")
    wired.sim.injector.add(FaultRule(kind="duplicate_webhook", system="basware"))
    ids = wired.approve(2)
    sent = wired.deliveries()
    assert len(sent) == 4 and {d["copy"] for d in sent} == {1, 2}, "the fault must really duplicate"
    assert all(d["status"] == 200 for d in sent)
    assert sorted(d.document_id or "" for d in wired.inbox()) == sorted(ids)
    assert sorted(wired.triggers) == sorted(("acme", [i]) for i in ids)


def test_out_of_order_deliveries_are_all_recorded(wired: Wired) -> None:
    wired.subscribe("acme")
    wired.sim.injector.add(FaultRule(kind="out_of_order_webhook", system="basware", times=1))
    ids = wired.approve(3)
    order = [d["documentId"] for d in wired.deliveries()]
    assert sorted(order) == sorted(ids) and order != ids, "the fault must really reorder"
    assert sorted(d.document_id or "" for d in wired.inbox()) == sorted(ids)
    assert [t[1][0] for t in wired.triggers] == order  # one trigger per delivery, in arrival order


def test_a_rotated_secret_makes_deliveries_401_and_nothing_is_recorded(wired: Wired) -> None:
    wired.subscribe("acme")
    wired.tenants["acme"] = TenantWebhook("acme", "both", SecretStr("rotated-on-our-side-only"))
    wired.approve(1)
    sent = wired.deliveries()
    assert [d["status"] for d in sent] == [401, 401]  # Basware retried, still refused
    assert wired.inbox() == [] and wired.triggers == []


def test_subscribing_with_the_wrong_secret_fails_the_connection_test(wired: Wired) -> None:
    with pytest.raises(MlConnectorError):
        wired.subscribe("acme", secret="not-the-receivers-secret")
    assert [d["status"] for d in wired.deliveries("ConnectionTest")] == [401]
    assert wired.sim.ctx.subscriptions.all() == []


def test_poll_only_tenant_refuses_even_the_connection_test(wired: Wired) -> None:
    with pytest.raises(MlConnectorError):
        wired.subscribe("poller")
    assert [d["status"] for d in wired.deliveries("ConnectionTest")] == [401]
    body = json.dumps({"taskId": "t", "taskType": "AccountingDocuments", "documentId": "X"}).encode()
    answer = requests.post(wired.url("poller"), data=body, timeout=5,
                           headers={"x-bwapi-signature-256": sign(SECRET, body)})
    assert answer.status_code == 401  # as for an unknown tenant or a wrong secret: tenants are not enumerable


def test_hand_made_bad_signature_over_http_is_401(wired: Wired) -> None:
    body = json.dumps({"taskId": "t-x", "taskType": "AccountingDocuments", "documentId": "X"}).encode()
    forged = sign("guess", body)
    answer = requests.post(wired.url("acme"), data=body, timeout=5,
                           headers={"x-bwapi-signature-256": forged, "x-bwapi-delivery-id": "forged-1"})
    assert answer.status_code == 401 and answer.json() == {"detail": "signature does not match the body"}
    assert SECRET not in answer.text and forged not in answer.text
    assert wired.inbox() == [] and wired.triggers == []
