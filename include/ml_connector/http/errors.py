"""One exception hierarchy for both clients; Airflow errors are made from these only at the task edge.

The three groups say what the run does next, and the invoice flow acts on exactly that:

    MlConnectorError
    ├── FatalError                 stop the batch: every record would fail alike
    │   ├── AuthenticationError, PermissionDeniedError     credentials, scopes
    │   ├── ProtocolError, PaginationLoopError             the API broke its own contract
    │   └── PreconditionRequiredError                      a mutation without a usable ETag
    ├── RecordError                set this record aside with its reason; the run goes on
    │   ├── ValidationError        the record's content was refused (400/409/422)
    │   └── NotFoundError          the record addressed does not exist (404)
    └── RetriableError             try again later: the record stays open for the next attempt or run
        ├── TransientError         the transport retries these in-request (5xx, timeouts, drops)
        │   └── RateLimitedError   429 / 503 with Retry-After
        ├── ConflictError          412: re-read and re-apply, never a blind resend
        └── OutcomeUnknownError    a non-repeatable request may have landed: never resent in-request;
                                   the next run looks the record up before any resend
"""

from __future__ import annotations

from typing import Any, Self

import requests

from ml_connector.http.error_body import parse_error_body
from ml_connector.http.redact import redact
from ml_connector.http.request_ids import response_request_id
from ml_connector.http.urls import path_of

BODY_EXCERPT_CHARS = 500


class MlConnectorError(Exception):
    """Base error; carries what is known of the HTTP exchange, with secrets scrubbed."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        method: str | None = None,
        path: str | None = None,
        request_id: str | None = None,
        client_request_id: str | None = None,
        body_excerpt: str | None = None,
        code: str | None = None,
        api_message: str | None = None,
        details: tuple[dict[str, Any], ...] = (),
    ) -> None:
        self.message = redact(message)
        self.status = status
        self.method = method
        self.path = path  # path only: pre-signed query strings carry credentials
        self.request_id = request_id
        self.client_request_id = client_request_id
        self.body_excerpt = redact(body_excerpt) if body_excerpt else None
        self.code = code
        self.api_message = redact(api_message) if api_message else None
        self.details = details
        super().__init__(self.message)

    def __str__(self) -> str:
        parts = [self.message]
        ctx = [
            f"HTTP {self.status}" if self.status is not None else "",
            f"{self.method} {self.path}" if self.method and self.path else "",
            f"code={self.code}" if self.code else "",
            f"request_id={self.request_id}" if self.request_id else "",
            f"client_request_id={self.client_request_id}" if self.client_request_id else "",
        ]
        ctx = [c for c in ctx if c]
        if ctx:
            parts.append("(" + ", ".join(ctx) + ")")
        if self.api_message and self.api_message not in self.message:
            parts.append(f": {self.api_message}")
        return " ".join(parts)

    @classmethod
    def from_response(
        cls, response: requests.Response, message: str | None = None, **kwargs: Any
    ) -> Self:
        info = parse_error_body(response)
        req = response.request
        kwargs.setdefault("status", response.status_code)
        kwargs.setdefault("method", req.method if req is not None else None)
        kwargs.setdefault("path", path_of(req.url if req is not None and req.url else response.url))
        kwargs.setdefault("request_id", response_request_id(response))
        kwargs.setdefault("body_excerpt", _excerpt(response))
        kwargs.setdefault("code", info.code)
        kwargs.setdefault("api_message", info.message)
        kwargs.setdefault("details", info.details)
        return cls(message or info.message or response.reason or "HTTP error", **kwargs)


def _excerpt(response: requests.Response) -> str | None:
    try:
        text = response.text
    except (RuntimeError, ValueError):  # consumed stream or undecodable body
        return None
    return text[:BODY_EXCERPT_CHARS] if text else None


class FatalError(MlConnectorError):
    """Stop the batch: repeating the request cannot succeed, and every other record would fail alike."""


class AuthenticationError(FatalError):
    """Credentials refused (token endpoint, or a 401 that survived one refresh)."""


class PermissionDeniedError(FatalError):
    """403: the API user lacks a scope or permission set."""


class PreconditionRequiredError(FatalError):
    """A mutation without a usable ETag (IFS ODP_MISSING_PRECONDITION, HTTP 428)."""


class PaginationLoopError(FatalError):
    """The server handed back a page token or link it had already given."""


class ProtocolError(FatalError):
    """The server's answer does not have the shape the API promises."""


class RetriableError(MlConnectorError):
    """Try again later: the record stays open, and a later attempt (or the next run) may succeed."""


class TransientError(RetriableError):
    """Gateway errors, timeouts, dropped connections: the in-request retry policy repeats these."""

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class RateLimitedError(TransientError):
    """429 (or 503) asking us to slow down; `retry_after` in seconds when the server said."""


class ConflictError(RetriableError):
    """412: the entity changed since its ETag was read."""

    def __init__(self, message: str, *, entity: str | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.entity = entity


class OutcomeUnknownError(RetriableError):
    """A request that must not be repeated blindly failed after it may have reached the server.

    Not retried in-request (not a TransientError); the next run looks the record up before any resend.
    """


class RecordError(MlConnectorError):
    """Set this record aside with its reason; the rest of the run goes on."""

    def __init__(self, reason: str, *, record_id: str | None = None, **kwargs: Any) -> None:
        super().__init__(f"record {record_id}: {reason}" if record_id else reason, **kwargs)
        self.record_id = record_id
        self.reason = redact(reason)


class ValidationError(RecordError):
    """The API rejected the record's content (400/422 business or schema error)."""


class NotFoundError(RecordError):
    """404 where the caller expected a resource: the record addressed does not exist."""
