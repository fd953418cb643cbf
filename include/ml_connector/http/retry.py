"""The one in-request retry policy (tenacity): short, bounded, honours Retry-After.

Long outages are not handled here: they end the Airflow task, whose own retries take over.
"""

from __future__ import annotations

import email.utils
import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

import tenacity

from ml_connector.http.errors import MlConnectorError, TransientError

T = TypeVar("T")
_DECIMAL_SECONDS = re.compile(r"\d+\.\d+")
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with jitter, bounded by attempts and by total time."""

    max_attempts: int = 5
    max_total_seconds: float = 120.0
    initial_wait: float = 0.5
    max_wait: float = 30.0
    jitter: float = 0.5
    # A server asking for a longer pause than this ends the attempt (the task retries later).
    max_retry_after: float = 120.0

    @classmethod
    def no_wait(cls, max_attempts: int = 3) -> RetryPolicy:
        """For tests: same logic, zero sleeps."""
        return cls(max_attempts=max_attempts, initial_wait=0.0, max_wait=0.0, jitter=0.0)

    def retrying(
        self,
        *,
        retry_on: tuple[type[BaseException], ...] = (TransientError,),
        sleep: Callable[[float], None] | None = None,
        logger: logging.Logger | None = None,
    ) -> tenacity.Retrying:
        backoff = tenacity.wait_exponential_jitter(
            initial=self.initial_wait, max=self.max_wait, exp_base=2, jitter=self.jitter
        )

        def wait(state: tenacity.RetryCallState) -> float:
            retry_after = _retry_after_of(state)
            return min(retry_after, self.max_retry_after) if retry_after is not None else backoff(state)

        return tenacity.Retrying(
            retry=tenacity.retry_if_exception_type(retry_on),
            wait=wait,
            stop=tenacity.stop_any(
                tenacity.stop_after_attempt(self.max_attempts),
                tenacity.stop_before_delay(self.max_total_seconds),
                _StopWhenServerWaitTooLong(self.max_retry_after),
            ),
            before_sleep=_log_retry(logger or log, self.max_attempts),
            sleep=sleep or time.sleep,
            reraise=True,
        )

    def call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        return self.retrying()(fn, *args, **kwargs)


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Retry-After as seconds: either delta-seconds or an HTTP date; None when absent or garbled."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    if _DECIMAL_SECONDS.fullmatch(value):
        return float(value)  # not RFC 9110, but some gateways (and our sandbox) send "0.5": honour it
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


class _StopWhenServerWaitTooLong(tenacity.stop.stop_base):
    """Stop (and re-raise) when the server asks for a longer pause than we are willing to wait."""

    def __init__(self, max_retry_after: float) -> None:
        self.max_retry_after = max_retry_after

    def __call__(self, retry_state: tenacity.RetryCallState) -> bool:
        retry_after = _retry_after_of(retry_state)
        return retry_after is not None and retry_after > self.max_retry_after


def _retry_after_of(state: tenacity.RetryCallState) -> float | None:
    exc = state.outcome.exception() if state.outcome else None
    return exc.retry_after if isinstance(exc, TransientError) else None


def _log_retry(logger: logging.Logger, max_attempts: int) -> Callable[[tenacity.RetryCallState], None]:
    def before_sleep(state: tenacity.RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, MlConnectorError):
            logger.warning(
                "Retrying %s %s: status=%s request_id=%s client_request_id=%s; "
                "attempt %d/%d, waiting %.2fs: %s",
                exc.method, exc.path, exc.status, exc.request_id, exc.client_request_id,
                state.attempt_number, max_attempts, state.upcoming_sleep, exc.message,
            )
        else:
            logger.warning(
                "Retrying after %s; attempt %d/%d, waiting %.2fs",
                type(exc).__name__, state.attempt_number, max_attempts, state.upcoming_sleep,
            )

    return before_sleep
