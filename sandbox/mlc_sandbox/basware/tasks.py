"""Tasks of Basware's push notification API (`/v1/tasks`): one per entry of a document into
WaitingForTransfer. Status `New` until the document is transferred (`Completed`) or its transfer failed
(`Failed`); a document that waits again gets a new task and its previous one is kept as it stood."""

from __future__ import annotations

import threading
import uuid
from bisect import bisect_right, insort
from dataclasses import dataclass
from typing import Any

from mlc_sandbox.basware.clock import iso

TASK_NAMESPACE = uuid.UUID("5f0c8f52-3d0e-4b8e-9a53-6c1f2f0b7a11")
TASK_NEW, TASK_COMPLETED, TASK_FAILED = "New", "Completed", "Failed"
TASK_STATUSES = (TASK_NEW, TASK_COMPLETED, TASK_FAILED)
TASK_TYPE, TASK_SUB_TYPE = "AccountingDocuments", "WaitingForTransfer"

TaskKey = tuple[int, str]  # (lastUpdated in microseconds, invoiceId or "~" + taskId)


def task_id(invoice_id: str, times: int) -> str:
    return str(uuid.uuid5(TASK_NAMESPACE, f"{invoice_id}:{times}"))


def make_task(invoice_id: str, entry: tuple[int, int], status: str, updated_us: int, ttl: float) -> dict[str, Any]:
    """The Task shape of the push notification API (Task: no payload, just the pointer and the state)."""
    times, since = entry
    return {"taskId": task_id(invoice_id, times), "taskStatus": status, "taskType": TASK_TYPE,
            "taskSubType": TASK_SUB_TYPE, "documentId": invoice_id,
            "expirationTime": iso(since + int(ttl * 1_000_000)), "isSimulatedTask": False,
            "lastUpdated": iso(max(updated_us, since))}


@dataclass(frozen=True)
class TaskFilter:
    task_type: str | None = None
    task_status: str | None = None
    document_id: str | None = None
    updated_after_us: int | None = None

    def matches(self, task: dict[str, Any], key: TaskKey) -> bool:
        return ((self.task_type is None or task["taskType"] == self.task_type)
                and (self.task_status is None or task["taskStatus"] == self.task_status)
                and (self.document_id is None or task["documentId"] == self.document_id)
                and (self.updated_after_us is None or key[0] > self.updated_after_us))


class ClosedTasks:
    """Tasks superseded by a newer one for the same document, and which document owns which task id."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._order: list[TaskKey] = []
        self._tasks: dict[str, dict[str, Any]] = {}
        self._owners: dict[str, str] = {}

    def close(self, task: dict[str, Any], now_us: int) -> None:
        closed = {**task, "lastUpdated": iso(now_us)}
        with self._lock:
            self._tasks[task["taskId"]] = closed
            insort(self._order, (now_us, "~" + task["taskId"]))

    def own(self, invoice_id: str, times: int) -> None:
        with self._lock:
            self._owners[task_id(invoice_id, times)] = invoice_id

    def owner(self, tid: str) -> str | None:
        with self._lock:
            return self._owners.get(tid)

    def get(self, tid: str) -> dict[str, Any] | None:
        with self._lock:
            found = self._tasks.get(tid)
        return None if found is None else dict(found)

    def since(self, after: TaskKey | None) -> list[tuple[TaskKey, dict[str, Any]]]:
        with self._lock:
            start = bisect_right(self._order, tuple(after)) if after is not None else 0
            return [(key, dict(self._tasks[key[1][1:]])) for key in self._order[start:]]
