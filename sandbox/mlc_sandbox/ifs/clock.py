"""Simulated time: starts at the seed's anchor, runs with real time, and can be pushed forward."""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta


class SimClock:
    def __init__(self, start: datetime) -> None:
        self._start = start
        self._mono = time.monotonic()
        self._offset = 0.0
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._start + timedelta(seconds=time.monotonic() - self._mono + self._offset)

    def advance(self, seconds: float) -> datetime:
        with self._lock:
            self._offset += seconds
        return self.now()
