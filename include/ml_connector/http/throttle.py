"""A limit on requests in flight, shared by every worker of one tenant and system in a process.

Additive increase, multiplicative decrease: a 429 (or a 503 with Retry-After) halves the limit and
pauses every worker of the tenant for the server's Retry-After, instead of each worker hammering on
its own; every success creeps the limit back up by 1/limit, to at most the configured maximum.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

_REGISTRY: dict[str, Throttle] = {}
_REGISTRY_LOCK = threading.Lock()


class Throttle:
    def __init__(self, limit: int, *, name: str = "api", clock: Callable[[], float] = time.monotonic) -> None:
        if limit < 1:
            raise ValueError("a throttle needs a limit of at least 1")
        self.name = name
        self.max_limit = limit
        self._limit = float(limit)
        self._in_flight = 0
        self._paused_until = 0.0
        self._clock = clock
        self._cond = threading.Condition()

    def __repr__(self) -> str:
        return f"Throttle(name={self.name!r}, limit={self.limit}/{self.max_limit})"

    @property
    def limit(self) -> int:
        return max(1, int(self._limit))

    @contextmanager
    def slot(self) -> Iterator[None]:
        """Hold one of the `limit` slots for one request; waits out a tenant-wide pause first."""
        with self._cond:
            while True:
                wait = self._paused_until - self._clock()
                if wait <= 0 and self._in_flight < self.limit:
                    break
                self._cond.wait(timeout=wait if wait > 0 else None)
            self._in_flight += 1
        try:
            yield
        finally:
            with self._cond:
                self._in_flight -= 1
                self._cond.notify_all()

    def rate_limited(self, retry_after: float | None) -> None:
        """A 429: halve the limit and pause everyone for Retry-After (or one second)."""
        with self._cond:
            self._limit = max(1.0, self._limit / 2)
            self._paused_until = max(self._paused_until, self._clock() + (retry_after or 1.0))
            self._cond.notify_all()

    def resize(self, limit: int) -> None:
        with self._cond:
            self.max_limit = max(1, limit)
            self._limit = min(self._limit, float(self.max_limit))
            self._cond.notify_all()

    def succeeded(self) -> None:
        if self._limit < self.max_limit:
            with self._cond:
                self._limit = min(float(self.max_limit), self._limit + 1.0 / self._limit)
                self._cond.notify_all()


def shared_throttle(key: str, limit: int) -> Throttle:
    """The one throttle of `key` (tenant and system) in this process; a new limit replaces the maximum."""
    with _REGISTRY_LOCK:
        throttle = _REGISTRY.get(key)
        if throttle is None:
            throttle = _REGISTRY[key] = Throttle(limit, name=key)
        elif throttle.max_limit != limit:
            throttle.resize(limit)
        return throttle
