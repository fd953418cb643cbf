"""The one error classifier: a response or an exception in, an action out."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

import requests
from urllib3.exceptions import MaxRetryError, NewConnectionError

from ml_connector.http import errors
from ml_connector.http.error_body import parse_error_body


class Action(StrEnum):
    SUCCESS = "success"
    IGNORE = "ignore"  # not an error, nothing to read (e.g. Basware 404 on a list = no records)
    RETRY = "retry"
    RATE_LIMITED = "rate_limited"  # retry after the server's Retry-After
    REFRESH_TOKEN = "refresh_token"  # 401: new token, then one more try
    CONFLICT = "conflict"  # 412: re-read the entity and re-apply the change
    FAIL = "fail"
    SKIP = "skip"  # this record is bad; the run goes on


Outcome = requests.Response | BaseException
Overrides = Mapping[int | type[BaseException], Action]

DEFAULT_STATUS_ACTIONS: Mapping[int, Action] = {
    400: Action.SKIP,
    401: Action.REFRESH_TOKEN,
    403: Action.FAIL,
    404: Action.FAIL,
    405: Action.FAIL,
    408: Action.RETRY,
    409: Action.SKIP,  # duplicate key or state clash on one record
    412: Action.CONFLICT,
    413: Action.FAIL,  # our chunking is wrong; resending the same body cannot help
    422: Action.SKIP,
    425: Action.RETRY,
    428: Action.FAIL,
    429: Action.RATE_LIMITED,
    500: Action.RETRY,
    501: Action.FAIL,
    502: Action.RETRY,
    503: Action.RETRY,
    504: Action.RETRY,
}

# IFS error codes answered before the request ran, with "retry" as the documented remedy: retried, and
# resent even when the request is a POST (MI_MODIFIED_ERROR: HTTP 500 after a projection changed).
# Any other 500 stays as it was: retried when the request may be resent, else its outcome is unknown.
RETRY_UNPROCESSED_CODES = frozenset({"MI_MODIFIED_ERROR"})

# Checked in order with isinstance, so subclasses match (SSLError before its parent ConnectionError).
DEFAULT_EXCEPTION_ACTIONS: tuple[tuple[type[BaseException], Action], ...] = (
    (errors.RateLimitedError, Action.RATE_LIMITED),
    (errors.TransientError, Action.RETRY),
    (errors.ConflictError, Action.CONFLICT),
    # A 404 is a record error for the run, but the transport gives up on it as before (not SKIP).
    (errors.NotFoundError, Action.FAIL),
    (errors.RecordError, Action.SKIP),
    (errors.MlConnectorError, Action.FAIL),
    (requests.exceptions.SSLError, Action.FAIL),
    (requests.exceptions.InvalidURL, Action.FAIL),
    (requests.Timeout, Action.RETRY),
    (requests.ConnectionError, Action.RETRY),
    (requests.exceptions.ChunkedEncodingError, Action.RETRY),
)


def classify(outcome: Outcome, overrides: Overrides | None = None) -> Action:
    """Map `outcome` to an action; `overrides` (status codes or exception types) win over defaults."""
    overrides = overrides or {}
    if isinstance(outcome, requests.Response):
        status = outcome.status_code
        if status in overrides:
            return overrides[status]
        if _unprocessed(outcome):
            return Action.RETRY
        if status in DEFAULT_STATUS_ACTIONS:
            return DEFAULT_STATUS_ACTIONS[status]
        if status < 400:
            return Action.SUCCESS
        return Action.FAIL if status < 500 else Action.RETRY
    for exc_type, action in overrides.items():
        if isinstance(exc_type, type) and isinstance(outcome, exc_type):
            return action
    for exc_type, action in DEFAULT_EXCEPTION_ACTIONS:
        if isinstance(outcome, exc_type):
            return action
    return Action.FAIL


def never_reached_server(outcome: Outcome) -> bool:
    """True when a failed request certainly was not processed, so even a POST may be resent."""
    if isinstance(outcome, requests.Response):
        return outcome.status_code in (429, 503) or _unprocessed(outcome)
    if isinstance(outcome, requests.exceptions.ConnectTimeout):
        return True
    if isinstance(outcome, requests.ConnectionError) and outcome.args:
        inner = outcome.args[0]
        return isinstance(inner, MaxRetryError) and isinstance(inner.reason, NewConnectionError)
    return False


def _unprocessed(response: requests.Response) -> bool:
    """A server error whose code says the request was refused before it ran (see RETRY_UNPROCESSED_CODES)."""
    return response.status_code >= 500 and parse_error_body(response).code in RETRY_UNPROCESSED_CODES
