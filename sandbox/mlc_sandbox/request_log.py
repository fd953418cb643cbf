"""The calls a simulator received, kept so tests and users can see exactly what a client sent."""

from __future__ import annotations

import threading
from collections import deque
from typing import Any


class RequestLog:
    """Thread-safe and bounded: a sandbox left running for days must not grow without limit."""

    def __init__(self, maxlen: int = 200_000) -> None:
        self._lock = threading.Lock()
        self._entries: deque[dict[str, Any]] = deque(maxlen=maxlen)

    def add(self, entry: dict[str, Any]) -> None:
        with self._lock:
            self._entries.append(entry)

    def entries(self) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(e) for e in self._entries]

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
