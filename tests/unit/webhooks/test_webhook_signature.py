"""HMAC-SHA256 verification of Basware deliveries: raw body, hex digest, constant time, time window."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from ml_connector.webhooks import signature
from ml_connector.webhooks.signature import SignatureError, SignatureScheme, sign, verify

SECRET = "s3cr3t-webhook-key"
BODY = b'{"taskId":"t-1","taskType":"AccountingDocuments","documentId":"INV-1"}'
NOW = 1_800_000_000.0
SCHEME = SignatureScheme()


def headers(sig: str | None, ts: float | str | None = NOW) -> dict[str, str]:
    out = {}
    if sig is not None:
        out["X-BWAPI-Signature-256"] = sig  # mixed case on purpose: header names are case-insensitive
    if ts is not None:
        out["x-bwapi-timestamp"] = str(int(ts)) if isinstance(ts, float) else ts
    return out


def check(hdrs: dict[str, str], body: bytes = BODY, secret: str = SECRET,
          scheme: SignatureScheme = SCHEME) -> None:
    verify(hdrs, body, secret, scheme, now=lambda: NOW)


def test_sign_is_hex_hmac_sha256_of_the_raw_body() -> None:
    assert sign(SECRET, BODY) == hmac.new(SECRET.encode(), BODY, hashlib.sha256).hexdigest()


def test_a_genuine_delivery_passes() -> None:
    check(headers(sign(SECRET, BODY)))


@pytest.mark.parametrize("sig", [f"sha256={sign(SECRET, BODY)}", f"SHA256={sign(SECRET, BODY).upper()}",
                                 f"  {sign(SECRET, BODY)}  "])
def test_prefix_case_and_whitespace_are_accepted(sig: str) -> None:
    check(headers(sig))


def test_wrong_secret_is_refused() -> None:
    with pytest.raises(SignatureError, match="does not match"):
        check(headers(sign("another-secret", BODY)))


def test_a_tampered_body_is_refused() -> None:
    with pytest.raises(SignatureError, match="does not match"):
        check(headers(sign(SECRET, BODY)), body=BODY.replace(b"INV-1", b"INV-2"))


def test_the_raw_bytes_count_not_the_json() -> None:
    reformatted = b'{"taskId": "t-1", "taskType": "AccountingDocuments", "documentId": "INV-1"}'
    with pytest.raises(SignatureError):
        check(headers(sign(SECRET, BODY)), body=reformatted)


@pytest.mark.parametrize("sig, reason", [(None, "missing signature header x-bwapi-signature-256"),
                                         ("", "missing signature"), ("abc", "malformed"),
                                         ("z" * 64, "malformed"), ("sha1=" + "0" * 40, "malformed")])
def test_missing_or_malformed_signatures_are_refused(sig: str | None, reason: str) -> None:
    with pytest.raises(SignatureError, match=reason):
        check(headers(sig))


@pytest.mark.parametrize("ts", [NOW - 301, NOW + 301, NOW - 86_400])
def test_stale_or_future_timestamps_are_refused(ts: float) -> None:
    with pytest.raises(SignatureError, match="outside the 300 s window"):
        check(headers(sign(SECRET, BODY), ts))


@pytest.mark.parametrize("ts", [NOW - 299, NOW + 299])
def test_timestamps_inside_the_window_pass(ts: float) -> None:
    check(headers(sign(SECRET, BODY), ts))


@pytest.mark.parametrize("ts", ["yesterday", "nan", "inf", "1e400"])
def test_malformed_timestamps_are_refused(ts: str) -> None:
    with pytest.raises(SignatureError, match="malformed timestamp"):
        check(headers(sign(SECRET, BODY), ts))


def test_timestamp_optional_by_default_and_enforced_when_required() -> None:
    check(headers(sign(SECRET, BODY), None))
    strict = SignatureScheme(require_timestamp=True)
    with pytest.raises(SignatureError, match="missing timestamp header"):
        check(headers(sign(SECRET, BODY), None), scheme=strict)


def test_header_names_and_window_are_configurable() -> None:
    scheme = SignatureScheme(signature_header="X-Sig", timestamp_header="X-Time", tolerance_seconds=10)
    good = {"x-sig": sign(SECRET, BODY), "x-time": str(int(NOW))}
    check(good, scheme=scheme)
    with pytest.raises(SignatureError, match="missing signature header X-Sig"):
        check(headers(sign(SECRET, BODY)), scheme=scheme)
    with pytest.raises(SignatureError, match="outside the 10 s window"):
        check({**good, "x-time": str(int(NOW) - 11)}, scheme=scheme)


def test_an_empty_secret_never_verifies() -> None:
    with pytest.raises(SignatureError, match="no webhook secret"):
        check(headers(sign("", BODY)), secret="")


def test_the_comparison_is_constant_time(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[bytes, bytes]] = []
    real = hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(signature.hmac, "compare_digest", spy)
    check(headers(sign(SECRET, BODY)))
    with pytest.raises(SignatureError):
        check(headers(sign("wrong", BODY)))
    assert len(calls) == 2 and all(isinstance(a, bytes) and len(a) == len(b) == 32 for a, b in calls)


def test_errors_never_carry_the_secret_or_the_signature() -> None:
    bad = sign("wrong", BODY)
    with pytest.raises(SignatureError) as caught:
        check(headers(bad))
    assert SECRET not in str(caught.value) and bad not in str(caught.value)
    assert sign(SECRET, BODY) not in str(caught.value)
