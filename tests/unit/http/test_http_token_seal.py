"""The sealed form of a shared token: only the credential set that sealed it finds and opens it."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from ml_connector.http.token_seal import TokenSeal

URL = "http://127.0.0.1:1/auth/realms/r/protocol/openid-connect/token"
TOKEN = SecretStr("eyJ-the-access-token-0123456789")


def _seal(secret: str = "s3cret-one", **identity: str) -> TokenSeal:
    return TokenSeal(secret, token_url=identity.get("token_url", URL), client_id=identity.get("client_id", "c1"),
                     scope=identity.get("scope", ""))


def test_a_sealed_token_opens_with_its_times_and_shows_neither_token_nor_secret() -> None:
    seal = _seal()
    sealed = seal.seal(TOKEN, refresh_at=1000.5, expires_at=1180.5)
    opened = seal.open(sealed)

    assert opened is not None
    assert opened.value.get_secret_value() == TOKEN.get_secret_value()
    assert (opened.refresh_at, opened.expires_at) == (1000.5, 1180.5)
    for clear in (TOKEN.get_secret_value(), "s3cret-one", "c1"):
        assert clear.encode() not in sealed
        assert clear not in seal.slot and clear not in repr(seal)
    assert seal.seal(TOKEN, refresh_at=1000.5, expires_at=1180.5) != sealed  # a fresh nonce every time


@pytest.mark.parametrize("other", [
    {"secret": "s3cret-two"}, {"client_id": "c2"}, {"scope": "read"}, {"token_url": URL.replace("/r/", "/q/")},
])
def test_another_credential_set_has_another_slot_and_cannot_open_the_row(other: dict[str, str]) -> None:
    mine, theirs = _seal(), _seal(**other)
    sealed = mine.seal(TOKEN, refresh_at=1.0, expires_at=2.0)

    assert theirs.slot != mine.slot
    assert len(mine.slot) == 64 and int(mine.slot, 16) >= 0
    assert theirs.open(sealed) is None
    assert _seal().slot == mine.slot  # derived, not random: every process of the set finds the same row


def test_an_altered_or_truncated_row_does_not_open() -> None:
    seal = _seal()
    sealed = seal.seal(TOKEN, refresh_at=1.0, expires_at=2.0)
    for position in (0, 1, 13, len(sealed) - 1):
        altered = bytearray(sealed)
        altered[position] ^= 0x01
        assert seal.open(bytes(altered)) is None, position
    assert seal.open(sealed[:20]) is None
    assert seal.open(b"") is None
