"""`/v1/subscriptions` (webhooks, with a ConnectionTest on subscribe; DELETE by query) and `/v1/tasks`.

Shapes are those of Basware's push notification OpenAPI file: Subscription-Input/-Output (no id: a
subscription is addressed by taskType, taskSubType and lastUpdated), SubscriptionsResponse, TasksResponse,
DeleteSubscriptionResponse, and that API's own error bodies (see errors.push_error_body).
"""

from __future__ import annotations

import threading
import uuid
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Body, Depends, Query, Request
from fastapi.responses import JSONResponse

from mlc_sandbox.basware.clock import iso
from mlc_sandbox.basware.deletion import updated_after
from mlc_sandbox.basware.errors import ApiError, error_entity, not_found
from mlc_sandbox.basware.paging import query_params
from mlc_sandbox.basware.schemas import require
from mlc_sandbox.basware.tasks import TASK_NEW, TASK_STATUSES, TaskFilter
from mlc_sandbox.basware.webhooks import Target, refusal

if TYPE_CHECKING:
    from mlc_sandbox.basware.context import SimContext

NOTIFICATION_FIELDS = ("taskId", "taskStatus", "taskType", "taskSubType", "documentId", "expirationTime")
OUTPUT_FIELDS = ("taskType", "taskSubType", "subscriptionType", "notificationWebhookURL",
                 "webhookAuthenticationToken", "lastUpdated", "autoResponder")
# Subscription-Output requires webhookAuthenticationToken; the sandbox never hands the shared secret back.
MASKED_TOKEN = "********"


class SubscriptionStore:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._subs: dict[str, dict[str, Any]] = {}  # internal id (delivery logs only) -> subscription

    def add(self, sub: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            self._subs[sub["subscriptionId"]] = sub
        return public(sub)

    def find(self, task_type: str | None = None, task_sub_type: str | None = None,
             updated_after_us: int | None = None) -> list[dict[str, Any]]:
        """Subscriptions matching the filters ("All" matches any type or sub type)."""
        with self._lock:
            subs = list(self._subs.values())
        return [s for s in subs if _matches(s, task_type, task_sub_type, updated_after_us)]

    def all(self) -> list[dict[str, Any]]:
        return [public(s) for s in self.find()]

    def delete(self, task_type: str, task_sub_type: str, updated_after_us: int | None) -> int:
        doomed = self.find(task_type, task_sub_type, updated_after_us)
        with self._lock:
            for sub in doomed:
                self._subs.pop(sub["subscriptionId"], None)
        return len(doomed)

    def targets(self, task_type: str, task_sub_type: str) -> list[Target]:
        return [Target(s["subscriptionId"], s["notificationWebhookURL"], s["webhookAuthenticationToken"])
                for s in self.find(task_type, task_sub_type) if s["subscriptionType"] == "Webhook"]


def _matches(sub: dict[str, Any], task_type: str | None, task_sub_type: str | None,
             updated_after_us: int | None) -> bool:
    return (task_type in (None, "All", sub["taskType"])
            and task_sub_type in (None, "All", sub.get("taskSubType"))
            and (updated_after_us is None or sub["_updated_us"] > updated_after_us))


def public(sub: dict[str, Any]) -> dict[str, Any]:
    """Subscription-Output: the spec's fields only, the secret masked."""
    out = {k: sub[k] for k in OUTPUT_FIELDS if k in sub}
    out["webhookAuthenticationToken"] = MASKED_TOKEN
    return out


def notification(task: dict[str, Any]) -> dict[str, Any]:
    return {k: task[k] for k in NOTIFICATION_FIELDS}


def _connection_test(ctx: SimContext, sub: dict[str, Any]) -> dict[str, Any] | None:
    """POST a ConnectionTest to the subscription's URL; the error entity when it was not answered 200."""
    url = sub["notificationWebhookURL"]
    refused = refusal(url, ctx.settings.allow_external_webhooks)
    if refused:
        return error_entity("DATA_VALIDATION_FAILED", refused, "BUSINESS")
    target = Target(sub["subscriptionId"], url, sub["webhookAuthenticationToken"])
    test = {"taskId": str(uuid.uuid4()), "taskStatus": TASK_NEW, "taskType": "ConnectionTest",
            "taskSubType": "ConnectionTest", "documentId": "ConnectionTest",
            "expirationTime": iso(ctx.clock.now_us() + int(ctx.settings.task_ttl * 1_000_000))}
    status, error = ctx.webhooks.send_now(ctx.webhooks.build(target, test))
    if status == 200:
        return None
    return error_entity("DATA_VALIDATION_FAILED",
                        f"ConnectionTest to {url} was answered {status or error}; the webhook must answer 200",
                        "BUSINESS")


def _subscribe(ctx: SimContext, body: Any) -> list[dict[str, Any]]:
    """All or nothing: every webhook URL must answer the ConnectionTest with 200 before anything is stored."""
    require("Subscription-Input", body, many=True)
    errors, pending = [], []
    for item in body:
        now = ctx.clock.now_us()
        sub = {"taskSubType": "", **item, "subscriptionId": str(uuid.uuid4()), "lastUpdated": iso(now),
               "_updated_us": now}
        failed = _connection_test(ctx, sub) if sub["subscriptionType"] == "Webhook" else None
        if failed is not None:
            errors.append(failed)
        pending.append(sub)
    if errors:
        raise ApiError(400, "DATA_VALIDATION_FAILED", "ConnectionTest failed", errors=errors)
    return [ctx.subscriptions.add(sub) for sub in pending]


def subscriptions_router(ctx: SimContext) -> APIRouter:
    router = APIRouter(tags=["subscriptions"])
    store = ctx.subscriptions

    @router.post("/v1/subscriptions", dependencies=[Depends(ctx.auth.require("subscriptions.write"))])
    def subscribe(body: Annotated[Any, Body()]) -> JSONResponse:
        return JSONResponse(_subscribe(ctx, body))

    @router.get("/v1/subscriptions",
                dependencies=[Depends(ctx.auth.require("subscriptions.read", "subscriptions.write"))])
    def list_subscriptions(request: Request) -> JSONResponse:
        params = query_params(request, ("taskType", "taskSubType", "lastUpdated"))
        subs = store.find(params.get("taskType"), params.get("taskSubType"), updated_after(params))
        if not subs:
            raise not_found("Not Found")
        return JSONResponse({"subscriptions": [public(s) for s in subs]})

    @router.delete("/v1/subscriptions",
                   dependencies=[Depends(ctx.auth.require("subscriptions.delete", "subscriptions.write"))])
    def unsubscribe(last_updated: Annotated[str, Query(alias="lastUpdated")],
                    task_type: Annotated[str, Query(alias="taskType")],
                    task_sub_type: Annotated[str, Query(alias="taskSubType")]) -> JSONResponse:
        after_us = updated_after({"lastUpdated": last_updated})
        deleted = store.delete(task_type, task_sub_type, after_us)
        return JSONResponse({"status": "Deleted successfully", "numberOfRecordsDeleted": deleted})

    _task_routes(router, ctx)
    return router


def _task_routes(router: APIRouter, ctx: SimContext) -> None:
    scope = Depends(ctx.auth.require("tasks.read", "accountingDocuments.read"))

    @router.get("/v1/tasks", dependencies=[scope])
    def list_tasks(request: Request) -> JSONResponse:
        """The spec has no pageSize here: pages are `tasks_page_size` long (a setting, 500 by default)."""
        params = query_params(request, ("taskType", "taskStatus", "documentId", "lastUpdated"))
        if params.get("taskStatus") not in (None, *TASK_STATUSES):
            raise not_found("Not Found")  # no task ever has another status
        flt = TaskFilter(params.get("taskType"), params.get("taskStatus"), params.get("documentId"),
                         updated_after(params))
        position = ctx.continuations.resolve(request, "tasks", params)
        tasks, last = ctx.documents.tasks(flt, position, ctx.settings.tasks_page_size)
        if not tasks:
            raise not_found("Not Found")
        return JSONResponse({"taskStatus": tasks}, headers=ctx.continuations.headers("tasks", params, last))

    @router.get("/v1/tasks/{task_id}", dependencies=[scope])
    def get_task(task_id: str) -> JSONResponse:
        task = ctx.documents.find_task(task_id)
        if task is None:
            raise not_found("Not Found")
        return JSONResponse({"taskStatus": [task]})
