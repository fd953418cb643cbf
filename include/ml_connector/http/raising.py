"""Turn a classified outcome into the matching exception of our hierarchy."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import requests

from ml_connector.http import errors
from ml_connector.http.classify import Action, never_reached_server
from ml_connector.http.error_body import parse_error_body
from ml_connector.http.redact import redact
from ml_connector.http.retry import parse_retry_after
from ml_connector.http.urls import path_of

_FAIL_BY_STATUS: Mapping[int, type[errors.MlConnectorError]] = {
    401: errors.AuthenticationError,
    403: errors.PermissionDeniedError,
    404: errors.NotFoundError,
    428: errors.PreconditionRequiredError,
}

# Error codes whose meaning beats the status (IFS sends ODP_MISSING_PRECONDITION with a 4xx).
DEFAULT_CODE_ERRORS: Mapping[str, type[errors.MlConnectorError]] = {
    "ODP_MISSING_PRECONDITION": errors.PreconditionRequiredError,
    "ACCESS_TOKEN_VALIDATION_ERROR": errors.AuthenticationError,
    "CREDENTIAL_VALIDATION_ERROR": errors.AuthenticationError,
}


def error_for_response(
    action: Action,
    response: requests.Response,
    *,
    replay_safe: bool = True,
    record_id: str | None = None,
    client_request_id: str | None = None,
    code_errors: Mapping[str, type[errors.MlConnectorError]] = DEFAULT_CODE_ERRORS,
) -> errors.MlConnectorError:
    ctx = {"client_request_id": client_request_id}
    retry_after = parse_retry_after(response.headers.get("Retry-After"))
    if action in (Action.RETRY, Action.RATE_LIMITED):
        if not replay_safe and not never_reached_server(response):
            return errors.OutcomeUnknownError.from_response(
                response, f"HTTP {response.status_code} on a request that must not be resent", **ctx
            )
        cls = errors.RateLimitedError if action is Action.RATE_LIMITED else errors.TransientError
        return cls.from_response(response, retry_after=retry_after, **ctx)
    if action is Action.CONFLICT:
        return errors.ConflictError.from_response(response, "entity changed since it was read", **ctx)
    by_code = _by_code(response, code_errors)
    if by_code is not None:
        return by_code.from_response(response, **ctx)
    if action is Action.SKIP:
        return errors.ValidationError.from_response(response, record_id=record_id, **ctx)
    return _FAIL_BY_STATUS.get(response.status_code, errors.FatalError).from_response(response, **ctx)


def error_for_exception(
    action: Action,
    exc: BaseException,
    *,
    method: str,
    url: str,
    replay_safe: bool = True,
    client_request_id: str | None = None,
) -> errors.MlConnectorError:
    what = f"{type(exc).__name__}: {describe_transport_error(exc, url)}"
    ctx: dict[str, Any] = {"method": method, "path": path_of(url), "client_request_id": client_request_id}
    if action in (Action.RETRY, Action.RATE_LIMITED):
        if not replay_safe and not never_reached_server(exc):
            return errors.OutcomeUnknownError(f"request may have reached the server: {what}", **ctx)
        return errors.TransientError(what, **ctx)
    return errors.FatalError(what, **ctx)


def describe_transport_error(exc: BaseException, url: str) -> str:
    """One line a user can act on instead of urllib3's nested "Max retries exceeded ... Caused by" text:
    which host could not be reached and the operating system's reason."""
    where = urlsplit(url).netloc
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return f"no answer from {where} while connecting (timed out): is the host reachable from here?"
    if isinstance(exc, requests.exceptions.ReadTimeout):
        return f"{where} accepted the connection but did not answer in time"
    if isinstance(exc, requests.ConnectionError) and not isinstance(exc, requests.exceptions.SSLError):
        reason = getattr(exc.args[0], "reason", None) if exc.args else None
        cause = (reason.__cause__ or reason.__context__) if isinstance(reason, BaseException) else None
        if isinstance(cause, OSError) and cause.strerror:
            return f"cannot connect to {where}: {cause.strerror}; check the URL and that this machine reaches it"
    return redact(exc)


def _by_code(
    response: requests.Response, code_errors: Mapping[str, type[errors.MlConnectorError]]
) -> type[errors.MlConnectorError] | None:
    if not code_errors:
        return None
    code = parse_error_body(response).code
    return code_errors.get(code) if code else None
