"""Asynchronous processing results: `/v1/requestStatus`.

A master-data POST is answered after schema validation; what happened to each record becomes visible
here `async_error_delay` seconds later (InProgress until then), under the POST's x-amzn-RequestId.
Each entry has the shape of Basware's OpenAPI ConsumerLogEventUserView (requestStatus, systems[].items[]
with per-record status Success / NotProcessed / Error and errors[] of category DataValidation); both GETs
answer a RequestStatusResponse, `{"requestStatus": [...]}`.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Body, Depends, Request
from fastapi.responses import JSONResponse

from mlc_sandbox.basware.clock import Clock, iso
from mlc_sandbox.basware.deletion import updated_after
from mlc_sandbox.basware.errors import ApiError, bad_parameter, not_found
from mlc_sandbox.basware.paging import keyset_page, page_size, query_params
from mlc_sandbox.basware.schemas import require
from mlc_sandbox.basware.settings import BaswareSettings

if TYPE_CHECKING:
    from mlc_sandbox.basware.context import SimContext

REQUEST_STATUSES = ("InProgress", "Success", "Error", "AcknowledgedSuccess", "AcknowledgedError")
LIST_PARAMS = ("status", "entityType", "pageSize", "lastUpdated")


@dataclass
class Entry:
    request_id: str
    entity_type: str
    operation: str
    items: list[dict[str, Any]]
    created_us: int
    visible_at: float
    generic_list_key: str | None = None
    acknowledged: bool = False
    acknowledged_us: int | None = None


class RequestStatusStore:
    def __init__(self, settings: BaswareSettings, clock: Clock) -> None:
        self.settings = settings
        self.clock = clock
        self._lock = threading.Lock()
        self._entries: dict[str, Entry] = {}

    def record(self, request_id: str, entity_type: str, operation: str, items: list[dict[str, Any]],
               generic_list_key: str | None = None) -> None:
        """items: [{externalCode, parentExternalCode?, status: Success|NotProcessed|Error, errors}]."""
        entry = Entry(request_id, entity_type, operation, items, self.clock.now_us(),
                      time.monotonic() + self.settings.async_error_delay, generic_list_key)
        with self._lock:
            self._entries[request_id] = entry

    def _status(self, entry: Entry) -> str:
        if time.monotonic() < entry.visible_at:
            return "InProgress"
        failed = any(item["status"] == "Error" for item in entry.items)
        if entry.acknowledged:
            return "AcknowledgedError" if failed else "AcknowledgedSuccess"
        return "Error" if failed else "Success"

    def view(self, entry: Entry) -> dict[str, Any]:
        status = self._status(entry)
        visible = status != "InProgress"
        items = []
        for item in entry.items:
            shown = {"externalCode": item["externalCode"],
                     "parentExternalCode": item.get("parentExternalCode"),
                     "status": item["status"] if visible else "InProgress", "errors": []}
            if visible:
                shown["errors"] = [{"type": "Error", "category": "DataValidation", "message": m}
                                   for m in item.get("errors", [])]
            items.append(shown)
        updated = entry.acknowledged_us or entry.created_us
        return {
            "requestId": entry.request_id, "entityType": entry.entity_type,
            "entityVersion": f"{entry.entity_type}V1", "requestStatus": status,
            "operationType": entry.operation, "genericListKey": entry.generic_list_key,
            "lastUpdated": iso(updated),
            "systems": [{"system": "P2P", "module": None, "systemStatus": status, "lastUpdated": iso(updated),
                         "items": items}],
        }

    def get(self, request_id: str) -> dict[str, Any]:
        with self._lock:
            entry = self._entries.get(request_id)
        if entry is None:
            raise not_found(f"No request with id {request_id}")
        return self.view(entry)

    def find(self, status: str, entity_type: str | None,
             updated_after_us: int | None) -> list[tuple[Any, dict[str, Any]]]:
        with self._lock:
            entries = list(self._entries.values())
        found = []
        for entry in entries:
            view = self.view(entry)
            if view["requestStatus"] != status or (entity_type and entry.entity_type != entity_type):
                continue
            updated = entry.acknowledged_us or entry.created_us
            if updated_after_us is not None and updated <= updated_after_us:
                continue
            found.append(((updated, entry.request_id), view))
        return sorted(found, key=lambda pair: pair[0])

    def acknowledge(self, request_ids: list[str]) -> None:
        with self._lock:
            entries = []
            for request_id in request_ids:
                entry = self._entries.get(request_id)
                if entry is None:
                    raise not_found(f"Not found. Record to acknowledge not found: {request_id}")
                if entry.acknowledged:
                    raise ApiError(405, "METHOD_NOT_ALLOWED", f"Request {request_id} is already acknowledged",
                                   external_code=request_id)
                if time.monotonic() < entry.visible_at:
                    raise bad_parameter(f"Request {request_id} is still InProgress: nothing to acknowledge")
                entries.append(entry)
            now = self.clock.now_us()
            for entry in entries:
                entry.acknowledged = True
                entry.acknowledged_us = now

    def all(self) -> list[dict[str, Any]]:
        with self._lock:
            entries = list(self._entries.values())
        return [self.view(e) for e in entries]


def request_status_router(ctx: SimContext) -> APIRouter:
    store = ctx.request_status
    router = APIRouter(tags=["requestStatus"])
    read = Depends(ctx.auth.require("requestStatus.read"))

    @router.get("/v1/requestStatus/{request_id}", dependencies=[read])
    def get_request_status(request_id: str) -> JSONResponse:
        return JSONResponse({"requestStatus": [store.get(request_id)]})

    @router.get("/v1/requestStatus", dependencies=[read])
    def list_request_status(request: Request) -> JSONResponse:
        params = query_params(request, LIST_PARAMS)
        size = page_size(params, maximum=500, default=500)
        status = params.get("status", "Error")
        if status not in REQUEST_STATUSES:
            raise bad_parameter(f"status must be one of {', '.join(REQUEST_STATUSES)}")
        after_us = updated_after(params)
        position = ctx.continuations.resolve(request, "requestStatus", params)
        views, last = keyset_page(store.find(status, params.get("entityType"), after_us), position, size)
        if not views:
            raise not_found()
        headers = ctx.continuations.headers("requestStatus", params, last)
        return JSONResponse({"requestStatus": views}, headers=headers)

    @router.post("/v1/requestStatus/acknowledge",
                 dependencies=[Depends(ctx.auth.require("requestStatus.write", "requestStatus.read"))])
    def acknowledge(body: Annotated[Any, Body()]) -> JSONResponse:
        require("ProcessingStatusGetBatchRequest", body)
        if not body.get("requestIds"):
            raise bad_parameter("requestIds must list at least one request id")
        store.acknowledge(body["requestIds"])
        return JSONResponse("Success")  # the spec's 200 body is a string it does not describe

    return router
