from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from ml_connector.http import errors
from ml_connector.http.retry import RetryPolicy, parse_retry_after


class Flaky:
    """Raises the given exceptions in turn, then returns 'ok'."""

    def __init__(self, *failures: BaseException) -> None:
        self.failures = list(failures)
        self.calls = 0

    def __call__(self) -> str:
        self.calls += 1
        if self.failures:
            raise self.failures.pop(0)
        return "ok"


def transient(status: int = 503, retry_after: float | None = None) -> errors.TransientError:
    return errors.TransientError(
        "gateway", status=status, method="GET", path="/v1/x", request_id="amzn-1", retry_after=retry_after
    )


def test_retries_transient_errors_then_succeeds() -> None:
    fn = Flaky(transient(), transient(502))
    assert RetryPolicy.no_wait(max_attempts=3).retrying(sleep=lambda s: None)(fn) == "ok"
    assert fn.calls == 3


def test_gives_up_after_max_attempts_and_reraises_the_error() -> None:
    fn = Flaky(*(transient() for _ in range(5)))
    with pytest.raises(errors.TransientError):
        RetryPolicy.no_wait(max_attempts=3).retrying(sleep=lambda s: None)(fn)
    assert fn.calls == 3


@pytest.mark.parametrize(
    "exc",
    [errors.ValidationError("bad"), errors.AuthenticationError("no"), errors.ConflictError("412"),
     errors.OutcomeUnknownError("?"), errors.NotFoundError("gone")],
)
def test_no_retry_on_errors_that_cannot_succeed(exc: BaseException) -> None:
    fn = Flaky(exc)
    with pytest.raises(type(exc)):
        RetryPolicy.no_wait().retrying(sleep=lambda s: None)(fn)
    assert fn.calls == 1


def test_retry_after_is_honoured_instead_of_backoff() -> None:
    slept: list[float] = []
    fn = Flaky(errors.RateLimitedError("429", status=429, retry_after=7.0), transient())
    policy = RetryPolicy(max_attempts=3, initial_wait=0.0, max_wait=0.0, jitter=0.0)
    assert policy.retrying(sleep=slept.append)(fn) == "ok"
    assert slept == [7.0, 0.0]


def test_retry_after_longer_than_allowed_stops_at_once() -> None:
    slept: list[float] = []
    fn = Flaky(errors.RateLimitedError("429", status=429, retry_after=3600.0))
    with pytest.raises(errors.RateLimitedError):
        RetryPolicy(max_retry_after=60.0).retrying(sleep=slept.append)(fn)
    assert fn.calls == 1 and slept == []


def test_total_time_budget_stops_before_a_sleep_that_would_exceed_it() -> None:
    fn = Flaky(transient(retry_after=30.0), transient())
    with pytest.raises(errors.TransientError):
        RetryPolicy(max_attempts=10, max_total_seconds=10.0).retrying(sleep=lambda s: None)(fn)
    assert fn.calls == 1


def test_backoff_grows_exponentially_and_is_capped() -> None:
    slept: list[float] = []
    fn = Flaky(*(transient() for _ in range(5)))
    policy = RetryPolicy(max_attempts=6, initial_wait=1.0, max_wait=4.0, jitter=0.0)
    policy.retrying(sleep=slept.append)(fn)
    assert slept == [1.0, 2.0, 4.0, 4.0, 4.0]


def test_every_retry_is_logged_with_request_details(
    caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    RetryPolicy.no_wait().retrying(sleep=lambda s: None)(Flaky(transient()))
    (record,) = [r for r in caplog.records if "Retrying" in r.getMessage()]
    msg = record.getMessage()
    assert "GET /v1/x" in msg and "status=503" in msg and "request_id=amzn-1" in msg
    assert record.args  # %-style arguments, not a pre-formatted f-string


def test_parse_retry_after() -> None:
    now = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)
    assert parse_retry_after("120") == 120.0
    assert parse_retry_after("0.5") == 0.5  # decimal seconds: lenient, as the sandbox sends them
    assert parse_retry_after(format_datetime(now + timedelta(seconds=30), usegmt=True), now=now) == 30.0
    assert parse_retry_after(format_datetime(now - timedelta(seconds=30), usegmt=True), now=now) == 0.0
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None
