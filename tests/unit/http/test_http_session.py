from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from pydantic import SecretStr

from ml_connector.http import errors
from ml_connector.http.classify import Action
from ml_connector.http.request_ids import RequestIdHeader
from ml_connector.http.retry import RetryPolicy
from ml_connector.http.session import ApiSession
from ml_connector.http.tokens import TokenGrant, TokenManager

if TYPE_CHECKING:
    from conftest import LocalServer  # the `server` fixture, tests/unit/conftest.py


class CountingSource:
    def __init__(self) -> None:
        self.calls = 0

    def __call__(self) -> TokenGrant:
        self.calls += 1
        return TokenGrant(SecretStr(f"tok-{self.calls}"), 3600)


def make(
    server: LocalServer, slept: list[float] | None = None, **kwargs: Any
) -> tuple[ApiSession, TokenManager]:
    tokens = TokenManager(CountingSource())
    api = ApiSession(server.url, tokens=tokens, retry=RetryPolicy.no_wait(max_attempts=3),
                     sleep=(slept.append if slept is not None else None), **kwargs)
    return api, tokens


def test_bearer_token_is_attached(server: LocalServer) -> None:
    server.sequence(server.Reply(200, {"ok": True}))
    api, _ = make(server)
    assert api.send("GET", "/v1/x").json() == {"ok": True}
    assert server.requests[0].headers["authorization"] == "Bearer tok-1"


def test_401_refreshes_the_token_and_retries_once(server: LocalServer) -> None:
    server.sequence(server.Reply(401), server.Reply(200, {"ok": True}))
    api, tokens = make(server)
    assert api.send("GET", "/v1/x").status_code == 200
    assert [r.headers["authorization"] for r in server.requests] == ["Bearer tok-1", "Bearer tok-2"]
    assert tokens.token_requests == 2


def test_second_401_raises_authentication_error_without_looping(server: LocalServer) -> None:
    server.sequence(server.Reply(401, {"error": {"code": "UNAUTHORIZED", "message": "no"}}))
    api, tokens = make(server)
    with pytest.raises(errors.AuthenticationError) as info:
        api.send("GET", "/v1/x")
    assert len(server.requests) == 2 and tokens.token_requests == 2
    assert "tok-" not in str(info.value)


def test_retry_after_on_503_is_honoured(server: LocalServer) -> None:
    server.sequence(server.Reply(503, headers={"Retry-After": "1"}), server.Reply(200, {}))
    slept: list[float] = []
    api, _ = make(server, slept)
    assert api.send("GET", "/v1/x").status_code == 200
    assert slept == [1.0]


def test_429_is_retried_then_raised_as_rate_limited(server: LocalServer) -> None:
    server.sequence(server.Reply(429, headers={"Retry-After": "0"}))
    api, _ = make(server, [])
    with pytest.raises(errors.RateLimitedError) as info:
        api.send("GET", "/v1/x")
    assert len(server.requests) == 3 and info.value.status == 429


def test_post_is_not_resent_after_an_ambiguous_gateway_error(server: LocalServer) -> None:
    server.sequence(server.Reply(502))
    api, _ = make(server, [])
    with pytest.raises(errors.OutcomeUnknownError):
        api.send("POST", "/v1/create", json={"a": 1})
    assert len(server.requests) == 1


def test_post_is_resent_after_503_which_was_not_processed(server: LocalServer) -> None:
    server.sequence(server.Reply(503), server.Reply(201, {"id": 1}))
    api, _ = make(server, [])
    assert api.send("POST", "/v1/create", json={"a": 1}).status_code == 201
    assert len(server.requests) == 2


def test_400_becomes_validation_error_with_record_and_api_code(server: LocalServer) -> None:
    server.sequence(server.Reply(400, {"error": {"code": "DATA_INVALID", "message": "Company 99 missing"}}))
    api, _ = make(server)
    with pytest.raises(errors.ValidationError) as info:
        api.send("POST", "/v1/x", json={}, record_id="INV-7")
    exc = info.value
    assert (exc.record_id, exc.code, exc.status) == ("INV-7", "DATA_INVALID", 400)
    assert "Company 99 missing" in str(exc) and exc.path == "/v1/x"
    assert len(server.requests) == 1


def test_error_carries_request_ids_and_a_redacted_body_excerpt(server: LocalServer) -> None:
    server.sequence(server.Reply(403, "denied for Bearer tok-1", {"x-amzn-RequestId": "amzn-42"}))
    hook = RequestIdHeader("X-BW-REQUEST-ID")
    api, _ = make(server, request_hooks=[hook], request_id_header="X-BW-REQUEST-ID")
    with pytest.raises(errors.PermissionDeniedError) as info:
        api.send("GET", "/v1/x")
    exc = info.value
    assert exc.request_id == "amzn-42"
    assert exc.client_request_id == server.requests[0].headers["x-bw-request-id"]
    assert "tok-1" not in (exc.body_excerpt or "") and "tok-1" not in str(exc)


def test_request_hook_stamps_a_fresh_id_on_every_attempt(server: LocalServer) -> None:
    server.sequence(server.Reply(503), server.Reply(200, {}))
    api, _ = make(server, [], request_hooks=[RequestIdHeader("X-BW-REQUEST-ID")])
    api.send("GET", "/v1/x")
    api.send("GET", "/v1/y")
    ids = [r.headers["x-bw-request-id"] for r in server.requests]
    assert len(ids) == 3 and len(set(ids)) == 3


def test_redirects_are_not_followed_automatically(server: LocalServer) -> None:
    server.sequence(server.Reply(302, headers={"Location": "/elsewhere"}))
    api, _ = make(server)
    assert api.send("GET", "/v1/x").status_code == 302
    assert len(server.requests) == 1


def test_external_requests_carry_no_credentials_or_api_headers(server: LocalServer) -> None:
    server.sequence(server.Reply(200, {}))
    api, _ = make(server, headers={"X-Api": "1"}, request_hooks=[RequestIdHeader()])
    api.send("GET", server.url + "/presigned?sig=1", external=True)
    headers = server.requests[0].headers
    assert "authorization" not in headers and "x-api" not in headers and "x-bw-request-id" not in headers


def test_override_turns_404_into_a_returned_response(server: LocalServer) -> None:
    server.sequence(server.Reply(404))
    api, _ = make(server)
    assert api.send("GET", "/v1/list", overrides={404: Action.IGNORE}).status_code == 404
    with pytest.raises(errors.NotFoundError):
        api.send("GET", "/v1/list")
    assert len(server.requests) == 2  # one each: a 404 is not retried, although a record error now


def test_connection_refused_is_retried_then_raised_as_transient() -> None:
    api = ApiSession("http://127.0.0.1:9", retry=RetryPolicy.no_wait(max_attempts=2), sleep=lambda s: None)
    with pytest.raises(errors.TransientError):
        api.send("GET", "/v1/x")


def test_a_netrc_entry_for_the_host_is_never_sent(
        server: LocalServer, tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    netrc = tmp_path / "netrc"
    netrc.write_text("machine 127.0.0.1 login someone password not-for-the-api\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    server.sequence(server.Reply(200, {"ok": True}), server.Reply(200, {"ok": True}))
    with_tokens, _ = make(server)
    with_tokens.send("GET", "/x")
    ApiSession(server.url, retry=RetryPolicy.no_wait()).send("GET", "/y")  # no token manager at all

    assert server.requests[0].headers["authorization"] == "Bearer tok-1"
    assert "authorization" not in server.requests[1].headers
