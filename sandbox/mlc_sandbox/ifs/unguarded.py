"""Mutations that arrived without `If-Match`: recorded whatever the simulator answered.

In IFS 23R2-25R1 such a PATCH is a silent overwrite (an upsert without a concurrency check), so the
connector must never send one; tests read this record (the test suite checks it for every simulator).
"""

from __future__ import annotations

import itertools
import threading
import time
from typing import Any

from mlc_sandbox.ifs.odata_request import ODataRequest
from mlc_sandbox.ifs.resource import Segment

MUTATING_METHODS = frozenset({"PATCH", "PUT", "DELETE"})


class UnguardedLog:
    """Thread-safe, append-only until cleared; `seq` numbers entries for callers that keep a position."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: list[dict[str, Any]] = []
        self._seq = itertools.count(1)  # never restarts, also not after clear()

    def add(self, entry: dict[str, Any]) -> None:
        with self._lock:
            self._entries.append({**entry, "seq": next(self._seq)})

    def entries(self) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(e) for e in self._entries]

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


def is_mutation(method: str, segments: list[Segment]) -> bool:
    """PATCH, PUT, DELETE, or a POST invoking a bound action (its last segment a qualified name)."""
    if method in MUTATING_METHODS:
        return True
    return method == "POST" and bool(segments) and "." in segments[-1].name


def record(log: UnguardedLog, req: ODataRequest, outcome: str) -> None:
    log.add({"time": time.time(), "method": req.method, "path": req.url_path,
             "query": "&".join(f"{k}={v}" for k, v in req.params), "request_id": req.request_id,
             "batch_part": req.batch_part, "outcome": outcome})

