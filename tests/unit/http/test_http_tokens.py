from __future__ import annotations

import base64
import threading
import time
from typing import TYPE_CHECKING
from urllib.parse import parse_qs

import pytest
from pydantic import SecretStr

from ml_connector.http import errors
from ml_connector.http.retry import RetryPolicy
from ml_connector.http.tokens import (
    BaswareTokenSource,
    KeycloakTokenSource,
    TokenGrant,
    TokenManager,
    credential_key,
    shared_token_manager,
)

if TYPE_CHECKING:
    from conftest import LocalServer  # the `server` fixture, tests/unit/conftest.py


class FakeSource:
    """Token callable: counts calls, can be slow or failing."""

    def __init__(
        self, lifetime: float = 180.0, delay: float = 0.0, fail: BaseException | None = None
    ) -> None:
        self.lifetime, self.delay, self.fail = lifetime, delay, fail
        self.calls = 0

    def __call__(self) -> TokenGrant:
        self.calls += 1
        time.sleep(self.delay)
        if self.fail:
            raise self.fail
        return TokenGrant(SecretStr(f"token-{self.calls:04d}"), self.lifetime)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def run_threads(n: int, target) -> list[object]:  # type: ignore[no-untyped-def]
    results: list[object] = []
    barrier = threading.Barrier(n)

    def worker() -> None:
        barrier.wait()
        try:
            results.append(target())
        except BaseException as exc:  # collected for the assertion
            results.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(5)
    return results


def test_single_flight_many_threads_one_token_request() -> None:
    source = FakeSource(delay=0.05)
    tm = TokenManager(source)
    results = run_threads(20, tm.get_token)
    assert results == ["token-0001"] * 20
    assert source.calls == 1 and tm.token_requests == 1


def test_threads_queued_behind_a_failed_refresh_share_its_failure() -> None:
    source = FakeSource(delay=0.05, fail=errors.AuthenticationError("refused"))
    tm = TokenManager(source)
    results = run_threads(10, tm.get_token)
    assert all(isinstance(r, errors.AuthenticationError) for r in results)
    assert source.calls == 1
    source.fail = None  # a later caller tries again
    assert tm.get_token() == "token-0002"


def test_refreshes_before_expiry_with_margin() -> None:
    clock, source = Clock(), FakeSource(lifetime=180.0)
    tm = TokenManager(source, min_margin=10.0, margin_fraction=0.1, clock=clock)
    assert tm.margin_for(180.0) == 18.0
    assert tm.get_token() == "token-0001"
    clock.now += 161.9  # 180 - 18 = 162 s of use
    assert tm.get_token() == "token-0001"
    clock.now += 0.2
    assert tm.get_token() == "token-0002"
    assert tm.token_requests == 2


def test_at_most_one_token_request_per_lifetime_over_a_long_run() -> None:
    clock, source = Clock(), FakeSource(lifetime=180.0)
    tm = TokenManager(source, clock=clock)
    for _ in range(3600):  # an hour, one call a second
        tm.get_token()
        clock.now += 1.0
    assert tm.token_requests <= 3600 // (180 - 18) + 1


def test_margin_never_exceeds_half_the_lifetime() -> None:
    tm = TokenManager(FakeSource())
    assert tm.margin_for(10.0) == 5.0
    assert tm.margin_for(3600.0) == 360.0


def test_invalidate_drops_only_the_refused_token() -> None:
    tm = TokenManager(FakeSource())
    first = tm.get_token()
    tm.invalidate("some-older-token")
    assert tm.get_token() == first and tm.token_requests == 1
    tm.invalidate(first)
    assert tm.get_token() == "token-0002"


def test_repr_and_str_reveal_no_secret() -> None:
    tm = TokenManager(FakeSource())
    token = tm.get_token()
    src = KeycloakTokenSource("https://ifs.example", "realm", "cid", "the-client-secret")
    for text in (repr(tm), str(tm), repr(src), str(src), repr(src.client_secret)):
        assert token not in text and "the-client-secret" not in text


def test_basware_token_request_uses_basic_auth_and_scope(server: LocalServer) -> None:
    token = {"access_token": "bw-token-1", "token_type": "Bearer", "expires_in": 3600}
    server.sequence(server.Reply(200, token))
    src = BaswareTokenSource(server.url, "bw-client", "bw-secret", ["vendors.read", "vendors.write"])
    grant = src()
    assert grant.access_token.get_secret_value() == "bw-token-1" and grant.expires_in == 3600
    (req,) = server.requests
    assert (req.method, req.path) == ("POST", "/v1/tokens")
    assert req.headers["authorization"] == "Basic " + base64.b64encode(b"bw-client:bw-secret").decode()
    form = parse_qs(req.body.decode())
    assert form == {"grant_type": ["client_credentials"], "scope": ["vendors.read vendors.write"]}


@pytest.mark.parametrize("scopes", ["", "  ", []])
def test_basware_token_request_requires_a_scope(scopes: str | list[str]) -> None:
    with pytest.raises(ValueError, match="requires a scope"):
        BaswareTokenSource("http://127.0.0.1:9", "bw-client", "bw-secret-scope", scopes)


def test_keycloak_token_request_form(server: LocalServer) -> None:
    server.sequence(server.Reply(200, {"access_token": "ifs-token-1", "expires_in": 180}))
    src = KeycloakTokenSource(server.url, "ifsrealm", "ifs-client", SecretStr("ifs-secret"))
    assert src().expires_in == 180
    (req,) = server.requests
    assert req.path == "/auth/realms/ifsrealm/protocol/openid-connect/token"
    assert "authorization" not in req.headers
    assert parse_qs(req.body.decode()) == {
        "grant_type": ["client_credentials"], "client_id": ["ifs-client"],
        "client_secret": ["ifs-secret"], "scope": ["openid microprofile-jwt"],
    }


def test_refused_credentials_raise_authentication_error_without_secret(server: LocalServer) -> None:
    refusal = {"error": "invalid_client", "error_description": "bad secret wrong-secret-9"}
    server.sequence(server.Reply(401, refusal))
    src = KeycloakTokenSource(server.url, "r", "cid", "wrong-secret-9", retry=RetryPolicy.no_wait())
    with pytest.raises(errors.AuthenticationError) as info:
        src()
    assert "wrong-secret-9" not in str(info.value) and "wrong-secret-9" not in (info.value.body_excerpt or "")
    assert info.value.code == "invalid_client"
    assert len(server.requests) == 1  # refused credentials are not retried


def test_token_endpoint_outage_is_retried(server: LocalServer) -> None:
    server.sequence(server.Reply(503), server.Reply(200, {"access_token": "tok-after-503", "expires_in": 60}))
    src = KeycloakTokenSource(server.url, "r", "cid", "secret-x1", retry=RetryPolicy.no_wait())
    assert src().access_token.get_secret_value() == "tok-after-503"
    assert len(server.requests) == 2


def test_token_response_without_token_is_a_protocol_error(server: LocalServer) -> None:
    server.sequence(server.Reply(200, {"unexpected": True}))
    with pytest.raises(errors.ProtocolError):
        BaswareTokenSource(server.url, "c", "secret-x2", "s", retry=RetryPolicy.no_wait())()


def test_shared_token_manager_is_one_per_credential_set() -> None:
    key = credential_key("https://idp.example/token", "cid", "secret-shared-1", "openid")
    first = shared_token_manager(key, lambda: TokenManager(FakeSource()))
    again = shared_token_manager(key, lambda: TokenManager(FakeSource()))
    rotated = credential_key("https://idp.example/token", "cid", "secret-shared-2", "openid")
    assert first is again
    assert shared_token_manager(rotated, lambda: TokenManager(FakeSource())) is not first
    assert "secret-shared-1" not in repr(key)
