"""The receiver app in-process (no Airflow): status codes, inbox rows, triggers, nothing secret answered."""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from signed_requests import SIGNATURE_HEADER, ReceiverEnv, notification

from ml_connector.state import StateStore
from ml_connector.webhooks import SignatureScheme, TenantWebhook, create_app, sign

SECRET = "unit-test-webhook-secret"
TENANTS = {
    "acme": TenantWebhook("acme", "both", SecretStr(SECRET)),
    "pushy": TenantWebhook("pushy", "webhook", SecretStr(SECRET), SignatureScheme(signature_header="x-sig"),
                           delivery_id_header="x-id"),
    "poller": TenantWebhook("poller", "poll", SecretStr(SECRET)),
    "nosecret": TenantWebhook("nosecret", "both", None),
}


class Env(ReceiverEnv):
    def post(self, tenant: str, note: dict[str, object] | bytes, *, secret: str = SECRET,  # type: ignore[override]
             delivery: str | None = "d-1", sig_header: str = SIGNATURE_HEADER, timestamp: str | None = "now",
             extra: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
        return super().post(tenant, note, secret=secret, delivery=delivery, sig_header=sig_header,
                            timestamp=timestamp, **(extra or {}))


note = notification


@pytest.fixture
def env(store: StateStore) -> Env:
    return Env(TENANTS, store)


def test_a_notification_is_recorded_and_triggers_once(env: Env) -> None:
    first = env.post("acme", note())
    assert first.status_code == 200 and first.json() == {"status": "accepted", "triggered": True}
    again = env.post("acme", note())  # same task: a retry or duplicate
    assert again.status_code == 200 and again.json() == {"status": "duplicate"}
    [row] = env.store.pending_deliveries("acme")
    assert (row.delivery_id, row.document_id, row.payload["taskId"]) == ("t-1", "INV-1", "t-1")
    assert env.triggers == [("acme", ["INV-1"])]


def test_the_signed_task_id_is_the_key_not_the_unsigned_delivery_id(env: Env) -> None:
    """A captured body replayed under a fresh delivery-id header is still a duplicate."""
    assert env.post("acme", note(task="task-7"), delivery="d-1").json()["status"] == "accepted"
    assert env.post("acme", note(task="task-7"), delivery="d-2-replayed").json()["status"] == "duplicate"
    assert env.triggers == [("acme", ["INV-1"])]


def test_without_a_delivery_id_the_task_id_is_the_key(env: Env) -> None:
    assert env.post("acme", note(task="task-9"), delivery=None).json()["status"] == "accepted"
    assert env.post("acme", note(task="task-9"), delivery=None).json()["status"] == "duplicate"
    assert [d.delivery_id for d in env.store.pending_deliveries("acme")] == ["task-9"]


def test_connection_test_is_answered_and_nothing_else(env: Env) -> None:
    test = {**note(), "taskType": "ConnectionTest", "taskSubType": "ConnectionTest", "documentId": None}
    answer = env.post("acme", test)
    assert answer.status_code == 200 and answer.json() == {"status": "ok"}
    assert env.store.pending_deliveries("acme") == [] and env.triggers == []


@pytest.mark.parametrize("tenant", ["poller", "nobody", "nosecret"])
def test_tenants_that_take_no_webhooks_are_answered_like_a_wrong_signature(env: Env, tenant: str) -> None:
    """Regression: unknown tenants got 404 but known ones without a secret 401, which told an attacker
    which tenants exist. Now every refusal before verification looks alike."""
    genuine = env.post(tenant, note())
    forged = env.post("acme", note(), secret="wrong-secret")
    unsigned = env.post(tenant, note(), sig_header="x-none")
    assert (genuine.status_code, genuine.json()) == (forged.status_code, forged.json()) == \
        (401, {"detail": "signature does not match the body"})
    assert (unsigned.status_code, unsigned.json()) == (401, {"detail": "missing signature header "
                                                             "x-bwapi-signature-256"})
    assert env.triggers == [] and env.store.pending_deliveries(tenant) == []


def test_bad_signature_is_401_with_a_reason_and_nothing_secret(env: Env,
                                                              caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    bad_sig = sign("wrong-secret", json.dumps(note()).encode())
    answer = env.post("acme", note(), secret="wrong-secret", delivery="evil-1")
    assert answer.status_code == 401
    assert answer.json() == {"detail": "signature does not match the body"}
    assert env.store.pending_deliveries("acme") == [] and env.triggers == []
    logged = caplog.text
    assert "acme" in logged and "evil-1" in logged and "signature does not match" in logged
    for secret in (SECRET, bad_sig, sign(SECRET, json.dumps(note()).encode())):
        assert secret not in logged and secret not in answer.text


def test_stale_timestamp_is_401(env: Env) -> None:
    answer = env.post("acme", note(), extra={"x-bwapi-timestamp": str(int(time.time()) - 3600)})
    assert answer.status_code == 401 and "stale or future" in answer.json()["detail"]


def test_tenant_specific_header_names(env: Env) -> None:
    assert env.post("pushy", note(), sig_header="x-sig", extra={"x-id": "p-1"}).status_code == 200
    assert env.post("pushy", note()).status_code == 401  # the default header name means nothing here
    assert [d.delivery_id for d in env.store.pending_deliveries("pushy")] == ["t-1"]


def test_a_body_without_task_id_is_deduped_on_its_signed_bytes_not_the_delivery_header(env: Env) -> None:
    """Regression: without taskId the unsigned delivery-id header was the key, so one captured body
    replayed under new header values made a new inbox row and run each time."""
    body = {k: v for k, v in note().items() if k != "taskId"}
    answers = [env.post("acme", body, delivery=f"replay-{i}").json()["status"] for i in range(20)]
    assert answers == ["accepted"] + ["duplicate"] * 19
    assert len(env.store.pending_deliveries("acme")) == 1 and len(env.triggers) == 1


def test_a_document_id_too_long_for_the_inbox_is_400_not_500(env: Env) -> None:
    assert env.post("acme", note(doc="D" * 101)).status_code == 400
    assert env.post("acme", note(doc="D" * 100, task="t-2")).status_code == 200
    assert env.store.pending_deliveries("acme")[0].document_id == "D" * 100


def test_a_deeply_nested_signed_body_is_400_not_500(env: Env) -> None:
    nested = b"[" * 20_000 + b"]" * 20_000  # under the 64 KiB limit, far past the parser's recursion limit
    assert env.post("acme", nested).status_code == 400
    assert env.post("acme", b'{"taskId": ' + b"[" * 20_000 + b"]" * 20_000 + b"}").status_code == 400


def test_signed_garbage_is_400_and_oversized_bodies_413(env: Env) -> None:
    assert env.post("acme", b"not json").status_code == 400
    assert env.post("acme", b"[1, 2]").status_code == 400
    assert env.post("acme", json.dumps({**note(), "pad": "x" * 70_000}).encode()).status_code == 413
    assert env.post("acme", note(task="bad id with spaces")).status_code == 400


def test_a_failing_trigger_still_answers_200_and_keeps_the_row(env: Env) -> None:
    env.trigger_result = RuntimeError("metadata DB down")  # type: ignore[assignment]
    answer = env.post("acme", note())
    assert answer.status_code == 200 and answer.json() == {"status": "accepted", "triggered": False}
    assert len(env.store.pending_deliveries("acme")) == 1


def test_a_debounced_trigger_is_reported(env: Env) -> None:
    env.trigger_result = False
    assert env.post("acme", note()).json() == {"status": "accepted", "triggered": False}


def test_inbox_down_is_503_so_basware_retries(tmp_path: Path) -> None:
    unmigrated = StateStore(f"sqlite:///{tmp_path / 'empty.db'}")
    app = create_app(TENANTS.get, lambda: unmigrated, lambda t, d: True)
    body = json.dumps(note()).encode()
    answer = TestClient(app).post("/basware/acme", content=body,
                                  headers={"x-bwapi-signature-256": sign(SECRET, body)})
    assert answer.status_code == 503


def test_without_a_timestamp_header_a_genuine_notification_is_accepted(env: Env) -> None:
    """Basware documents no timestamp header: one that sends none must still get through."""
    assert env.post("acme", note(), timestamp=None).json()["status"] == "accepted"


def test_a_captured_body_past_its_signed_expiration_is_not_recorded(env: Env) -> None:
    """The timestamp header is not signed, so a replayer sends a fresh one (or none); the body's own
    expirationTime is signed and stops it, even where the inbox no longer holds its taskId."""
    old = note(task="t-old", expirationTime="2020-01-01T00:00:00Z")
    for extra in ({}, {"x-bwapi-timestamp": str(int(time.time()))}):
        answer = env.post("acme", old, extra=extra)
        assert answer.status_code == 200 and answer.json() == {"status": "expired"}
    assert env.post("acme", old, timestamp=None).json() == {"status": "expired"}
    assert env.store.pending_deliveries("acme") == [] and env.triggers == []


@pytest.mark.parametrize("expiration", ["soon", "2030-01-01T00:00:00+02:00", "not a date", None, 17])
def test_an_expiration_in_the_future_unreadable_or_absent_is_accepted(env: Env, expiration: object) -> None:
    # Within the tolerance counts as not yet expired (clock skew between Basware and us).
    value = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 60)) if expiration == "soon" \
        else expiration
    body = note(expirationTime=value) if expiration is not None else \
        {k: v for k, v in note().items() if k != "expirationTime"}
    assert env.post("acme", body).json()["status"] == "accepted"
