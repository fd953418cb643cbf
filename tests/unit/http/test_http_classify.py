from __future__ import annotations

import json

import pytest
import requests
from urllib3.exceptions import MaxRetryError, NewConnectionError

from ml_connector.http import errors
from ml_connector.http.classify import Action, classify, never_reached_server


def response(status: int, headers: dict[str, str] | None = None, body: bytes = b"") -> requests.Response:
    resp = requests.Response()
    resp.status_code = status
    resp.headers.update(headers or {})
    resp._content = body
    resp.url = "https://api.example.test/v1/x"
    return resp


@pytest.mark.parametrize(
    ("status", "action"),
    [
        (200, Action.SUCCESS), (201, Action.SUCCESS), (204, Action.SUCCESS), (302, Action.SUCCESS),
        (400, Action.SKIP), (401, Action.REFRESH_TOKEN), (403, Action.FAIL), (404, Action.FAIL),
        (405, Action.FAIL), (408, Action.RETRY), (409, Action.SKIP), (412, Action.CONFLICT),
        (413, Action.FAIL), (418, Action.FAIL), (422, Action.SKIP), (428, Action.FAIL),
        (429, Action.RATE_LIMITED), (500, Action.RETRY), (501, Action.FAIL), (502, Action.RETRY),
        (503, Action.RETRY), (504, Action.RETRY), (520, Action.RETRY),
    ],
)
def test_status_table(status: int, action: Action) -> None:
    assert classify(response(status)) is action


def test_overrides_win_over_defaults() -> None:
    basware_reads = {404: Action.IGNORE}
    assert classify(response(404), basware_reads) is Action.IGNORE
    assert classify(response(404)) is Action.FAIL
    assert classify(response(405), {405: Action.IGNORE}) is Action.IGNORE


class CustomTransient(errors.TransientError):
    pass


@pytest.mark.parametrize(
    ("exc", "action"),
    [
        (requests.ConnectTimeout(), Action.RETRY),  # subclass of both ConnectionError and Timeout
        (requests.ReadTimeout(), Action.RETRY),
        (requests.ConnectionError(), Action.RETRY),
        (requests.exceptions.ChunkedEncodingError(), Action.RETRY),
        (requests.exceptions.SSLError(), Action.FAIL),  # a ConnectionError, but certificates don't heal
        (requests.exceptions.InvalidURL(), Action.FAIL),
        (CustomTransient("x"), Action.RETRY),  # isinstance, so subclasses match
        (errors.RateLimitedError("x"), Action.RATE_LIMITED),
        (errors.ConflictError("x"), Action.CONFLICT),
        (errors.ValidationError("bad"), Action.SKIP),
        (errors.NotFoundError("gone"), Action.FAIL),  # a record error, but not a SKIP for the transport
        (errors.OutcomeUnknownError("?"), Action.FAIL),  # retriable later, never resent in-request
        (errors.AuthenticationError("x"), Action.FAIL),
        (ValueError("x"), Action.FAIL),
    ],
)
def test_exception_table(exc: BaseException, action: Action) -> None:
    assert classify(exc) is action


def test_exception_override_matches_subclasses() -> None:
    assert classify(requests.ReadTimeout(), {requests.Timeout: Action.FAIL}) is Action.FAIL


def test_never_reached_server() -> None:
    inner = MaxRetryError(None, "/", NewConnectionError(None, "refused"))  # type: ignore[arg-type]
    refused = requests.ConnectionError(inner)
    assert never_reached_server(refused)
    assert never_reached_server(requests.ConnectTimeout())
    assert never_reached_server(response(429)) and never_reached_server(response(503))
    assert not never_reached_server(requests.ReadTimeout())
    assert not never_reached_server(requests.ConnectionError("Connection aborted"))
    assert not never_reached_server(response(502))
    assert not never_reached_server(response(504))


def ifs_error(status: int, code: str) -> requests.Response:
    body = json.dumps({"error": {"code": code, "message": "x"}}).encode()
    return response(status, {"Content-Type": "application/json"}, body)


def test_mi_modified_error_is_retried_and_safe_to_resend_a_plain_500_is_not() -> None:
    modified = ifs_error(500, "MI_MODIFIED_ERROR")
    assert classify(modified) is Action.RETRY
    assert never_reached_server(modified)  # IFS refused it before it ran: even a POST may be resent
    assert classify(response(500)) is Action.RETRY and not never_reached_server(response(500))
    assert not never_reached_server(ifs_error(500, "ODP_INTERNAL_ERROR"))
    assert not never_reached_server(ifs_error(504, "ODP_OPERATION_TIMEOUT"))
    assert classify(modified, {500: Action.FAIL}) is Action.FAIL  # an explicit override still wins
