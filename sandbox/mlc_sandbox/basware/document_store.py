"""Accounting documents: generated from the seed on demand, with only what changed kept per document.

All documents are ordered by (lastUpdated, invoiceId) in one sorted key list; a page is a keyset scan
from a position, so paging stays correct while documents change status (and move to the end).
"""

from __future__ import annotations

import copy
import heapq
import threading
import uuid
from bisect import bisect_left, bisect_right, insort
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from mlc_sandbox.basware.clock import Clock, from_us, iso, to_us
from mlc_sandbox.basware.errors import ApiError, not_found
from mlc_sandbox.basware.settings import BaswareSettings
from mlc_sandbox.basware.tasks import (
    TASK_COMPLETED,
    TASK_FAILED,
    TASK_NEW,
    ClosedTasks,
    TaskFilter,
    TaskKey,
    make_task,
)
from mlc_sandbox.basware.tasks import task_id as task_id_of
from mlc_sandbox.seed import Dataset

WAITING = "WaitingForTransfer"
IN_PROGRESS = "TransferInProgress"
TRANSFERRED = "Transferred"
FAILED = "TransferFailed"
# Basware's ProcessingStatus enum (OpenAPI); the simulator's own flow uses the four above.
STATUSES = (
    "WaitingForPrebook", "PrebookInProgress", "Prebooked", "PrebookFailed", WAITING, IN_PROGRESS, TRANSFERRED,
    FAILED, "WaitingForPrebookCancelation", "PrebookCancelationInProgress", "PrebookCanceled",
    "PrebookCancelFailed", "WaitingToBeRemoved", "Removed", "RemoveFailed", "WaitingToBeReturned", "Returned",
    "ReturnFailed", "WaitingToBeCompleted", "CompletionInProgress", "Completed", "CompletionFailed", "Paid",
    "New", "WaitingForEnrichmentTransfer", "EnrichmentTransferInProgress", "EnrichmentTransferred",
    "EnrichmentTransferFailed", "InDocumentFilter", "DocumentFilterReleased",
)
MODES = ("Standard", "InvoiceEnrichment")

Key = tuple[int, str]  # (lastUpdated in microseconds, invoiceId)


@dataclass(frozen=True)
class DocumentFilter:
    status: str | None = None
    company: str | None = None
    mode: str = "Standard"
    updated_after_us: int | None = None


class DocumentStore:
    def __init__(self, dataset: Dataset, clock: Clock, settings: BaswareSettings,
                 on_waiting: Callable[[dict[str, Any]], None] | None = None) -> None:
        self.dataset = dataset
        self.clock = clock
        self.settings = settings
        self.on_waiting = on_waiting
        self._lock = threading.RLock()
        self._index: dict[str, int] = {}  # generated document -> dataset index
        # added via admin: (created, invalid kind)
        self._generated: dict[str, tuple[datetime | None, str | None]] = {}
        self._bodies: dict[str, dict[str, Any]] = {}  # added via admin as full documents
        self._status: dict[str, str] = {}
        self._updated: dict[str, int] = {}
        self._meta: dict[str, tuple[str, str]] = {}  # (companyCode, p2pProcessingMode), filled lazily
        self._entered: dict[str, tuple[int, int]] = {}  # (times entered WaitingForTransfer, when), if changed
        self._responses: dict[str, list[dict[str, Any]]] = {}
        self._response_owner: dict[str, str] = {}  # transfer response externalCode -> invoiceId
        self.closed_tasks = ClosedTasks()
        self._next_index = dataset.config.invoices
        for index in range(dataset.config.invoices):
            invoice_id = dataset.invoice_id(index)
            self._index[invoice_id] = index
            self._status[invoice_id] = WAITING
            self._updated[invoice_id] = to_us(dataset.invoice_last_updated(index))
        self._order: list[Key] = sorted((us, i) for i, us in self._updated.items())
        if self._order:
            clock.advance_past(self._order[-1][0])

    # -- reading ---------------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self._status)

    def exists(self, invoice_id: str) -> bool:
        return invoice_id in self._status

    def status(self, invoice_id: str) -> str | None:
        return self._status.get(invoice_id)

    def render(self, invoice_id: str) -> dict[str, Any]:
        with self._lock:
            if invoice_id in self._bodies:
                doc = copy.deepcopy(self._bodies[invoice_id])
            else:
                when, kind = self._generated.get(invoice_id, (None, None))
                doc = self.dataset.invoice(self._index[invoice_id], last_updated=when, invalid_kind=kind)
            doc["processingStatus"] = self._status[invoice_id]
            doc["lastUpdated"] = iso(self._updated[invoice_id])
            success = next((r for r in reversed(self._responses.get(invoice_id, [])) if r["success"]), None)
            if success:  # Basware saves voucher numbers and payment block only from a successful transfer
                for name in ("voucherNumber1", "voucherNumber2", "paymentBlock"):
                    if success.get(name) is not None:
                        doc[name] = success[name]
            if self._responses.get(invoice_id):
                doc["transferResponses"] = copy.deepcopy(self._responses[invoice_id])
            mode = str(doc.get("p2pProcessingMode") or "Standard")
            self._meta.setdefault(invoice_id, (str(doc.get("companyCode")), mode))
            return doc

    def _company_and_mode(self, invoice_id: str) -> tuple[str, str]:
        meta = self._meta.get(invoice_id)
        if meta is None:
            self.render(invoice_id)
            meta = self._meta[invoice_id]
        return meta

    def _matches(self, invoice_id: str, flt: DocumentFilter) -> bool:
        if flt.status is not None and self._status[invoice_id] != flt.status:
            return False
        if flt.company is None and invoice_id in self._index and invoice_id not in self._bodies:
            return flt.mode == "Standard"  # generated documents are all Standard: no need to render
        company, mode = self._company_and_mode(invoice_id)
        return mode == flt.mode and (flt.company is None or company == flt.company)

    def page(self, flt: DocumentFilter, after: Key | None, size: int,
             max_rows: int) -> tuple[list[dict[str, Any]], Key | None]:
        """Up to `size` documents (fewer when they carry many coding rows) and the key to continue after."""
        with self._lock:
            start = 0
            if flt.updated_after_us is not None:
                start = bisect_left(self._order, (flt.updated_after_us + 1, ""))
            if after is not None:
                start = max(start, bisect_right(self._order, tuple(after)))
            docs: list[dict[str, Any]] = []
            rows = 0
            last: Key | None = None
            for i in range(start, len(self._order)):  # index loop: islice would walk from 0
                key = self._order[i]
                if not self._matches(key[1], flt):
                    continue
                if len(docs) >= size:
                    return docs, last
                doc = self.render(key[1])
                n_rows = len(doc.get("codingRows") or ())
                if docs and rows + n_rows > max_rows:
                    return docs, last
                docs.append(doc)
                rows += n_rows
                last = key
            return docs, None

    # -- tasks (push notifications' AccountingDocuments / WaitingForTransfer) -------------------
    def _entry(self, invoice_id: str) -> tuple[int, int] | None:
        """(how often the document entered WaitingForTransfer, when it last did), None if it never did."""
        entered = self._entered.get(invoice_id)
        if entered is None and invoice_id not in self._bodies and invoice_id in self._status:
            return 1, self._updated[invoice_id]  # a seed document, unchanged: waiting since it was generated
        return entered

    def task(self, invoice_id: str) -> dict[str, Any] | None:
        """The document's current task: New while it waits or is in transfer, then Completed or Failed."""
        entry = self._entry(invoice_id)
        if entry is None:
            return None
        status = self._status[invoice_id]
        task_status = TASK_NEW if status in (WAITING, IN_PROGRESS) else TASK_FAILED if status == FAILED \
            else TASK_COMPLETED
        return make_task(invoice_id, entry, task_status, self._updated[invoice_id], self.settings.task_ttl)

    def tasks(self, flt: TaskFilter, after: TaskKey | None, size: int) -> tuple[list[dict[str, Any]], TaskKey | None]:
        """One page of tasks (current and closed ones) in lastUpdated order, and the key to continue after."""
        with self._lock:
            start = bisect_right(self._order, tuple(after)) if after is not None else 0
            current = ((self._order[i], self.task(self._order[i][1])) for i in range(start, len(self._order)))
            closed = self.closed_tasks.since(after)  # keys of both kinds compare as tuples
            found: list[dict[str, Any]] = []
            last: TaskKey | None = None
            for key, task in heapq.merge(current, closed, key=lambda pair: pair[0]):
                if task is None or not flt.matches(task, key):
                    continue
                if len(found) >= size:
                    return found, last
                found.append(task)
                last = key
            return found, None

    def find_task(self, tid: str) -> dict[str, Any] | None:
        with self._lock:
            closed = self.closed_tasks.get(tid)
            if closed is not None:
                return closed
            invoice_id = self.closed_tasks.owner(tid) or next(
                (i for i in self._index if i not in self._entered and task_id_of(i, 1) == tid), None)
            task = self.task(invoice_id) if invoice_id else None
            return task if task is not None and task["taskId"] == tid else None

    def state(self, invoice_id: str) -> dict[str, Any]:
        with self._lock:
            if invoice_id not in self._status:
                raise not_found(f"Document {invoice_id} not found")
            return {"invoiceId": invoice_id, "processingStatus": self._status[invoice_id],
                    "lastUpdated": iso(self._updated[invoice_id]),
                    "transferResponses": copy.deepcopy(self._responses.get(invoice_id, [])),
                    "task": self.task(invoice_id), "invalidKind": self._invalid_kind(invoice_id),
                    "document": self.render(invoice_id)}

    def _invalid_kind(self, invoice_id: str) -> str | None:
        """What the seed broke in this document on purpose (kept out of the document: the schema has no
        field for it); None for valid and for admin-posted documents."""
        if invoice_id in self._bodies or invoice_id not in self._index:
            return None
        forced = self._generated.get(invoice_id, (None, None))[1]
        return forced or (None if invoice_id in self._generated else self.dataset.invalid_kind(self._index[invoice_id]))

    # -- changing --------------------------------------------------------------------------------
    def _set_status(self, invoice_id: str, status: str) -> dict[str, Any] | None:
        """Change status and lastUpdated; returns the new task when the document now waits for transfer."""
        known = invoice_id in self._status
        entry = self._entry(invoice_id) if known else None  # read before lastUpdated moves
        previous = self.task(invoice_id) if known and status == WAITING else None
        old = (self._updated[invoice_id], invoice_id)
        pos = bisect_left(self._order, old)
        if pos < len(self._order) and self._order[pos] == old:
            del self._order[pos]
        now = self.clock.now_us()
        self._updated[invoice_id] = now
        self._status[invoice_id] = status
        insort(self._order, (now, invoice_id))
        if entry is not None:
            self._entered[invoice_id] = entry
        if status != WAITING:
            return None
        # Each new entry into WaitingForTransfer is a new task; the previous one is closed as it stood.
        if previous is not None:
            self.closed_tasks.close(previous, now)
        self._entered[invoice_id] = ((entry[0] if entry else 0) + 1, now)
        self.closed_tasks.own(invoice_id, self._entered[invoice_id][0])
        return self.task(invoice_id)

    def _announce(self, tasks: list[dict[str, Any] | None]) -> None:
        if self.on_waiting is None:
            return
        for task in tasks:
            if task is not None:
                self.on_waiting(task)

    def set_status(self, invoice_id: str, status: str) -> None:
        if status not in STATUSES:
            raise ApiError(400, "PARAMETER_VALIDATION_ERROR", f"Unknown processingStatus {status!r}")
        with self._lock:
            if invoice_id not in self._status:
                raise not_found(f"Document {invoice_id} not found")
            task = self._set_status(invoice_id, status)
        self._announce([task])

    def acknowledge(self, invoice_id: str) -> None:
        with self._lock:
            status = self._status.get(invoice_id)
            if status is None:
                raise not_found("Not found. Record to acknowledge not found.")
            if status != WAITING:
                raise ApiError(405, "METHOD_NOT_ALLOWED",
                               f"Document {invoice_id} is in status {status}; only {WAITING} documents "
                               "can be acknowledged (it was probably acknowledged already)",
                               external_code=invoice_id)
            self._set_status(invoice_id, IN_PROGRESS)

    def transfer_response(self, invoice_id: str, response: dict[str, Any]) -> bool:
        """Record the ERP result. False when this externalCode was already applied to this document."""
        code = response["externalCode"]
        with self._lock:
            status = self._status.get(invoice_id)
            if status is None:
                raise not_found("Not found. Record to update not found.")
            owner = self._response_owner.get(code)
            if owner == invoice_id:
                return False
            if owner is not None:  # the spec lists no 409 here: a 400 with Basware's conflict code
                raise ApiError(400, "CONFLICT_IN_POST", f"externalCode {code} was already used for document "
                               f"{owner}; each transfer response needs a new unique externalCode",
                               external_code=code)
            if status != IN_PROGRESS:
                raise ApiError(400, "DATA_VALIDATION_FAILED",
                               f"Document {invoice_id} is in status {status}; transfer responses are "
                               f"accepted only in {IN_PROGRESS} (acknowledge the document first)",
                               type_="BUSINESS",
                               external_code=code)
            self._response_owner[code] = invoice_id
            self._responses.setdefault(invoice_id, []).append(response)
            del self._responses[invoice_id][:-100]  # Basware keeps the latest 100 responses per invoice
            self._set_status(invoice_id, TRANSFERRED if response["success"] else FAILED)
            return True

    def add_generated(self, count: int, invalid_kind: str | None = None) -> list[str]:
        ids: list[str] = []
        tasks = []
        with self._lock:
            for _ in range(count):
                index = self._next_index
                self._next_index += 1
                invoice_id = self.dataset.invoice_id(index)
                self._index[invoice_id] = index
                self._generated[invoice_id] = (from_us(self.clock.now_us()), invalid_kind)
                self._updated[invoice_id] = -1  # not in the order yet: _set_status inserts it
                tasks.append(self._set_status(invoice_id, WAITING))
                ids.append(invoice_id)
        self._announce(tasks)
        return ids

    def add_documents(self, docs: list[dict[str, Any]]) -> list[str]:
        ids: list[str] = []
        tasks = []
        bad = [d.get("processingStatus") for d in docs if d.get("processingStatus", WAITING) not in STATUSES]
        if bad:  # all or nothing
            raise ApiError(400, "PARAMETER_VALIDATION_ERROR", f"Unknown processingStatus {bad[0]!r}")
        with self._lock:
            for body in docs:
                doc = copy.deepcopy(body)
                invoice_id = str(doc.get("invoiceId") or uuid.uuid4())
                doc["invoiceId"] = invoice_id
                _complete(doc)
                status = str(doc.get("processingStatus") or WAITING)
                self._bodies[invoice_id] = doc  # replaces a document with the same invoiceId
                self._index.pop(invoice_id, None)
                self._meta.pop(invoice_id, None)
                self._updated.setdefault(invoice_id, -1)
                tasks.append(self._set_status(invoice_id, status))
                ids.append(invoice_id)
        self._announce(tasks)
        return ids


def _complete(doc: dict[str, Any]) -> None:
    """An admin-posted document gets the fields Basware's schema requires, where the poster left them out."""
    doc.setdefault("p2pProcessingMode", "Standard")
    doc.setdefault("companyCode", "US10")
    doc.setdefault("supplierCode", "")
    doc.setdefault("currencyCode", "USD")
    doc.setdefault("paymentBlock", False)
    for n, row in enumerate(doc.get("codingRows") or (), start=1):
        row.setdefault("externalCode", f"{doc['invoiceId'][:30]}-{n}")
