"""The webhook endpoint under attack (hypothesis): forged, truncated, replayed and cross-tenant signatures,
huge, nested and malformed bodies, random headers. Nothing answers 500 (the test client re-raises any
server exception), nothing unsigned is recorded or triggers a run, and what is accepted is deduped.

Examples per test: 25 by default (CI); `MLC_FUZZ_EXAMPLES=2000` for a longer hunt."""

from __future__ import annotations

import json
import os
import time
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import SecretStr
from signed_requests import ReceiverEnv, signed_headers

from ml_connector.state import StateStore
from ml_connector.webhooks import TenantWebhook, sign
from ml_connector.webhooks.receiver import MAX_BODY

SECRETS = {"acme": "fuzz-secret-of-acme", "beta": "fuzz-secret-of-beta"}
TENANTS = {t: TenantWebhook(t, "both", SecretStr(s)) for t, s in SECRETS.items()}
TENANTS["nosecret"] = TenantWebhook("nosecret", "both", None)
TENANTS["poller"] = TenantWebhook("poller", "poll", SecretStr(SECRETS["acme"]))

settings.register_profile("webhook-fuzz", max_examples=int(os.environ.get("MLC_FUZZ_EXAMPLES", "25")),
                          deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                HealthCheck.too_slow])
FUZZ = settings.get_profile("webhook-fuzz")

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=20)
NOTE_KEYS = ("taskId", "documentId", "taskType", "taskSubType", "taskStatus")
notes = st.fixed_dictionaries({}, optional={k: json_values | st.text(max_size=250) for k in NOTE_KEYS})
header_names = st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7e, exclude_characters=":"),
                       min_size=1, max_size=30)
header_values = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7e), max_size=80)
random_headers = st.dictionaries(header_names, header_values, max_size=5)


class Env(ReceiverEnv):
    def post(self, tenant: str, body: bytes, headers: dict[str, str]) -> Any:  # type: ignore[override]
        return self.send(tenant, body, headers)


@pytest.fixture
def env(store: StateStore) -> Env:
    return Env(TENANTS, store)


def signed(secret: str, body: bytes, **extra: str) -> dict[str, str]:
    return signed_headers(secret, body, **extra)


def _forgeries(secret: str, body: bytes) -> dict[str, dict[str, str]]:
    good = sign(secret, body)
    flipped = good[:-1] + ("0" if good[-1] != "0" else "1")
    now = str(int(time.time()))
    return {
        "truncated": {"x-bwapi-signature-256": good[:40], "x-bwapi-timestamp": now},
        "flipped": {"x-bwapi-signature-256": flipped, "x-bwapi-timestamp": now},
        "of another body": {"x-bwapi-signature-256": sign(secret, body + b" "), "x-bwapi-timestamp": now},
        "empty": {"x-bwapi-signature-256": "", "x-bwapi-timestamp": now},
        "missing": {"x-bwapi-timestamp": now},
        "stale": {"x-bwapi-signature-256": good, "x-bwapi-timestamp": str(int(time.time()) - 3600)},
        "not hex": {"x-bwapi-signature-256": "sha256=" + "zz" * 32, "x-bwapi-timestamp": now},
    }


@FUZZ
@given(note=notes, extra=random_headers, tenant=st.sampled_from(sorted(TENANTS) + ["ghost", "../acme", "acme%2F"]))
def test_forged_signatures_are_refused_and_record_nothing(env: Env, note: dict[str, Any], extra: dict[str, str],
                                                         tenant: str) -> None:
    body = json.dumps(note).encode()
    for how, headers in _forgeries(SECRETS["acme"], body).items():
        resp = env.post(tenant, body, {**extra, **headers})
        assert resp.status_code in (401, 404), (how, resp.status_code, resp.text)
        assert SECRETS["acme"] not in resp.text
    assert env.recorded() == 0 and env.triggers == []


@FUZZ
@given(note=notes, extra=random_headers)
def test_a_cross_tenant_secret_is_refused(env: Env, note: dict[str, Any], extra: dict[str, str]) -> None:
    body = json.dumps(note).encode()
    for sender, target in (("acme", "beta"), ("beta", "acme"), ("acme", "nosecret"), ("acme", "poller"),
                           ("acme", "ghost")):
        resp = env.post(target, body, {**extra, **signed(SECRETS[sender], body)})
        assert resp.status_code == 401, (sender, target, resp.status_code, resp.text)
    assert env.recorded() == 0 and env.triggers == []


@FUZZ
@given(note=notes, extra=random_headers)
def test_signed_notifications_never_crash_and_are_accepted_once(env: Env, note: dict[str, Any],
                                                                extra: dict[str, str]) -> None:
    body = json.dumps(note).encode()
    headers = {**extra, **signed(SECRETS["acme"], body)}
    first = env.post("acme", body, headers)
    assert first.status_code in (200, 400), (first.status_code, first.text)
    replay = env.post("acme", body, {**headers, "x-bwapi-delivery-id": "replayed-under-a-new-id"})
    assert replay.status_code == first.status_code
    if first.status_code == 200 and first.json()["status"] == "accepted":
        assert replay.json() == {"status": "duplicate"}
    # Every trigger belongs to exactly one recorded delivery: replays never queue another run.
    assert len(env.triggers) == env.recorded()


@FUZZ
@given(raw=st.binary(max_size=2000) | st.text(max_size=2000).map(str.encode), extra=random_headers)
def test_malformed_signed_bodies_are_a_clean_4xx(env: Env, raw: bytes, extra: dict[str, str]) -> None:
    resp = env.post("acme", raw, {**extra, **signed(SECRETS["acme"], raw)})
    assert resp.status_code in (200, 400), (resp.status_code, resp.text)
    assert len(env.triggers) == env.recorded()


@pytest.mark.parametrize("body", [
    b"[" * 100_000 + b"]" * 100_000,
    b'{"a":' * 50_000 + b"1" + b"}" * 50_000,
    b'{"taskId": "t", "documentId": "' + b"x" * (MAX_BODY - 40) + b'"}',
    b"\xff\xfe\x00garbage",
    b"",
    b'{"taskId": "t", "documentId": "INV-1"',  # truncated
    b'{"taskId": "t", "documentId": "INV-\\ud800"}',  # a lone surrogate
    json.dumps({"taskId": ["t"], "documentId": "INV-1"}).encode(),
    json.dumps({"taskId": "t", "documentId": {"nested": "INV-1"}}).encode(),
], ids=["deep-array", "deep-object", "near-limit", "binary", "empty", "truncated", "surrogate", "list-id",
        "object-doc"])
def test_hostile_bodies_signed_by_the_tenant(env: Env, body: bytes) -> None:
    resp = env.post("acme", body, signed(SECRETS["acme"], body))
    assert resp.status_code in (200, 400, 413), (resp.status_code, resp.text[:200])
    if resp.status_code == 200:
        assert resp.json()["status"] in ("ignored", "accepted")


def test_a_huge_body_is_413_without_reading_it_all(env: Env) -> None:
    body = b'{"taskId":"t","documentId":"' + b"x" * (MAX_BODY * 4) + b'"}'
    resp = env.post("acme", body, signed(SECRETS["acme"], body))
    assert resp.status_code == 413 and env.recorded() == 0
