"""The tenant-wide limit on requests in flight: halves and pauses on 429, creeps back up on success."""

from __future__ import annotations

import threading

import pytest

from ml_connector.http.throttle import Throttle, shared_throttle


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_429_halves_the_limit_and_successes_creep_it_back_up() -> None:
    throttle = Throttle(8, clock=Clock())
    throttle.rate_limited(0.0)
    assert throttle.limit == 4
    throttle.rate_limited(0.0)
    throttle.rate_limited(0.0)
    throttle.rate_limited(0.0)
    assert throttle.limit == 1  # never below one
    for _ in range(100):
        throttle.succeeded()
    assert throttle.limit == 8  # back to the configured maximum, not beyond


def test_no_more_than_the_limit_are_in_flight() -> None:
    throttle = Throttle(2)
    inside, most, release = 0, 0, threading.Event()
    lock = threading.Lock()

    def request() -> None:
        nonlocal inside, most
        with throttle.slot():
            with lock:
                inside += 1
                most = max(most, inside)
            release.wait(5)
            with lock:
                inside -= 1

    threads = [threading.Thread(target=request) for _ in range(6)]
    for t in threads:
        t.start()
    release.set()
    for t in threads:
        t.join(10)
    assert most <= 2


def test_one_throttle_per_key_in_a_process() -> None:
    first = shared_throttle("tenant-a:ifs:http://x", 4)
    assert shared_throttle("tenant-a:ifs:http://x", 4) is first
    assert shared_throttle("tenant-b:ifs:http://x", 4) is not first
    assert shared_throttle("tenant-a:ifs:http://x", 2).max_limit == 2


def test_a_limit_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        Throttle(0)
