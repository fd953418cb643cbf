"""Verify a Basware webhook delivery: HMAC-SHA256 of the raw body bytes, hex, compared in constant time.

Basware's header names and encoding are unverified, so they are parameters (`SignatureScheme`). Basware
documents only that the webhookAuthenticationToken signs the notification: the signed bytes are the body.
A timestamp header is therefore not signed (a replayer sets a fresh one or leaves it out), so it is
optional by default and no replay guard; what guards is signed: the body's taskId (or hash) in the inbox
and its expirationTime (receiver.expired).
"""

from __future__ import annotations

import hashlib
import hmac
import math
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from pydantic import SecretStr

PREFIX = "sha256="
_HEX_DIGEST = re.compile(r"^[0-9a-fA-F]{64}$")


class SignatureError(Exception):
    """A delivery to refuse. The message is safe to log and return: it never holds a secret or signature."""


@dataclass(frozen=True)
class SignatureScheme:
    signature_header: str = "x-bwapi-signature-256"
    timestamp_header: str = "x-bwapi-timestamp"
    tolerance_seconds: float = 300.0
    require_timestamp: bool = False


def _key(secret: str | bytes | SecretStr) -> bytes:
    if isinstance(secret, SecretStr):
        secret = secret.get_secret_value()
    return secret.encode() if isinstance(secret, str) else secret


def sign(secret: str | bytes | SecretStr, body: bytes) -> str:
    """The hex signature a sender puts in the signature header."""
    return hmac.new(_key(secret), body, hashlib.sha256).hexdigest()


def header(headers: Mapping[str, str], name: str) -> str | None:
    # Header names are case-insensitive; plain dicts (tests, other frameworks) are not.
    wanted = name.lower()
    for key, value in headers.items():
        if key.lower() == wanted:
            return value
    return None


def verify(
    headers: Mapping[str, str], body: bytes, secret: str | bytes | SecretStr,
    scheme: SignatureScheme = SignatureScheme(), *, now: Callable[[], float] = time.time,
) -> None:
    """Return quietly for a genuine, fresh delivery; raise SignatureError otherwise."""
    key = _key(secret)
    if not key:
        raise SignatureError("no webhook secret is configured")  # an empty HMAC key proves nothing
    given = header(headers, scheme.signature_header)
    if not given:
        raise SignatureError(f"missing signature header {scheme.signature_header}")
    given = given.strip()
    if given[:len(PREFIX)].lower() == PREFIX:
        given = given[len(PREFIX):]
    if not _HEX_DIGEST.match(given):
        raise SignatureError("malformed signature: expected a hex HMAC-SHA256 digest")
    expected = hmac.new(key, body, hashlib.sha256).digest()
    if not hmac.compare_digest(bytes.fromhex(given), expected):
        raise SignatureError("signature does not match the body")
    _check_timestamp(header(headers, scheme.timestamp_header), scheme, now())


def _check_timestamp(raw: str | None, scheme: SignatureScheme, now: float) -> None:
    if raw is None or not raw.strip():
        if scheme.require_timestamp:
            raise SignatureError(f"missing timestamp header {scheme.timestamp_header}")
        return
    try:
        sent = float(raw.strip())
    except ValueError:
        sent = math.nan
    if not math.isfinite(sent):  # "nan" would slip through the comparison below
        raise SignatureError("malformed timestamp: expected Unix seconds")
    if abs(now - sent) > scheme.tolerance_seconds:
        raise SignatureError(f"timestamp outside the {scheme.tolerance_seconds:g} s window (stale or future)")
