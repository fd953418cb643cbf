"""Tokens shared between processes through a cache row only their credential holders can find or read.

Each task of a tenant's DAG is a process of its own, and without a shared cache each would ask the IAM
for a token of its own. The cache is a database row any task can reach, so the token goes in sealed:

- the row's id (`slot`) and its AES-256-GCM key are derived with HKDF from the client secret and the
  credential set (token URL, client id, scope): the row reveals nothing, and a rotated secret finds a
  new row instead of reading its predecessor's token;
- the sealed text carries the token and its refresh and expiry times, with the slot as associated
  data: a row changed, or copied to another slot, fails to open and is ignored.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from pydantic import SecretStr

SEAL_VERSION = b"\x01"
NONCE_BYTES = 12
_SALT = b"ml-connector token cache"


@dataclass(frozen=True)
class OpenedToken:
    value: SecretStr
    refresh_at: float  # epoch seconds: the writer's clock, so every process refreshes at one moment
    expires_at: float


def _derive(secret: str, purpose: str, identity: str) -> bytes:
    info = f"{purpose}\x00{identity}".encode()
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=_SALT, info=info).derive(secret.encode())


class TokenSeal:
    """Seals and opens one credential set's token for a shared cache; see the module docstring."""

    def __init__(self, secret: str | SecretStr, *, token_url: str, client_id: str, scope: str = "") -> None:
        raw = secret.get_secret_value() if isinstance(secret, SecretStr) else secret
        identity = "\x00".join((token_url, client_id, scope))
        self.slot = _derive(raw, "slot v1", identity).hex()
        self._aead = AESGCM(_derive(raw, "key v1", identity))

    def __repr__(self) -> str:
        return f"TokenSeal(slot={self.slot[:12]}…)"

    def seal(self, token: SecretStr, *, refresh_at: float, expires_at: float) -> bytes:
        plain = json.dumps({"token": token.get_secret_value(), "refresh_at": refresh_at, "expires_at": expires_at})
        nonce = os.urandom(NONCE_BYTES)
        return SEAL_VERSION + nonce + self._aead.encrypt(nonce, plain.encode(), self.slot.encode())

    def open(self, sealed: bytes) -> OpenedToken | None:
        """The token in `sealed`, or None if it was not sealed by this credential set (or was altered)."""
        if len(sealed) <= 1 + NONCE_BYTES or sealed[:1] != SEAL_VERSION:
            return None
        nonce, body = sealed[1 : 1 + NONCE_BYTES], sealed[1 + NONCE_BYTES :]
        try:
            content = json.loads(self._aead.decrypt(nonce, body, self.slot.encode()))
            return OpenedToken(SecretStr(content["token"]), float(content["refresh_at"]), float(content["expires_at"]))
        except (InvalidTag, ValueError, KeyError, TypeError):
            return None
