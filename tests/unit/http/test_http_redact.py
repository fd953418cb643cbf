from __future__ import annotations

import pytest

from ml_connector.http.errors import MlConnectorError, RecordError
from ml_connector.http.redact import MASK, Redactor, redact, register_secret


@pytest.mark.parametrize(
    ("text", "leak"),
    [
        ("Authorization: Bearer abc.def-ghi123", "abc.def-ghi123"),
        ("headers={'Authorization': 'Basic dXNlcjpwYXNzd29yZA=='}", "dXNlcjpwYXNzd29yZA=="),
        ('{"access_token": "tok-12345678", "expires_in": 180}', "tok-12345678"),
        ("grant_type=client_credentials&client_secret=s3cr3t-value&scope=openid", "s3cr3t-value"),
        ("token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl here", "eyJhbGciOiJIUzI1NiJ9"),
        ("GET /b/k?X-Amz-Signature=deadbeef&X-Amz-Credential=AKIA/x", "deadbeef"),
        ('{"webhookAuthenticationToken": "hook-secret-1"}', "hook-secret-1"),
    ],
)
def test_secret_shapes_are_masked(text: str, leak: str) -> None:
    out = Redactor().scrub(text)
    assert leak not in out
    assert MASK in out


def test_registered_values_are_masked_longest_first() -> None:
    r = Redactor()
    r.add("supersecret")
    r.add("supersecret-and-more")
    assert r.scrub("x supersecret-and-more y supersecret") == f"x {MASK} y {MASK}"


def test_short_values_are_not_registered() -> None:
    r = Redactor()
    r.add("ab")
    assert r.scrub("about abba") == "about abba"


def test_token_window_is_bounded() -> None:
    r = Redactor(max_tokens=2)
    for t in ("token-one-1", "token-two-2", "token-three-3"):
        r.add(t, pinned=False)
    assert r.scrub("token-one-1") == "token-one-1"
    assert r.scrub("token-three-3") == MASK


def test_exception_messages_never_carry_registered_secrets() -> None:
    register_secret("client-secret-xyz")
    exc = MlConnectorError("failed with client-secret-xyz", body_excerpt="echo client-secret-xyz")
    assert "client-secret-xyz" not in str(exc)
    assert "client-secret-xyz" not in (exc.body_excerpt or "")
    rec = RecordError("Authorization: Bearer abcdefghijkl", record_id="INV-1")
    assert "abcdefghijkl" not in str(rec) and "INV-1" in str(rec)
    assert "client-secret-xyz" not in redact("client-secret-xyz")
