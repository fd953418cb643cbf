"""`/v1/subscriptions` (webhooks, with a ConnectionTest on subscribe) and `/v1/tasks` (open tasks)."""

from __future__ import annotations

import threading
import uuid
from typing import TYPE_CHECKING, Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field, HttpUrl

from mlc_sandbox.basware.clock import iso
from mlc_sandbox.basware.errors import ApiError, error_entity, not_found
from mlc_sandbox.basware.paging import page_size, query_params
from mlc_sandbox.basware.webhooks import Target

if TYPE_CHECKING:
    from mlc_sandbox.basware.context import SimContext


NOTIFICATION_FIELDS = ("taskId", "taskStatus", "taskType", "taskSubType", "documentId", "expirationTime")


class SubscriptionIn(BaseModel):
    model_config = ConfigDict(extra="allow")
    taskType: str = Field(min_length=1)
    taskSubType: str = Field(min_length=1)
    subscriptionType: Literal["Webhook"]
    notificationWebhookURL: HttpUrl
    webhookAuthenticationToken: str = Field(min_length=1)


class SubscriptionStore:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._subs: dict[str, dict[str, Any]] = {}

    def add(self, sub: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            self._subs[sub["subscriptionId"]] = sub
        return public(sub)

    def all(self) -> list[dict[str, Any]]:
        with self._lock:
            return [public(s) for s in self._subs.values()]

    def delete(self, subscription_id: str) -> bool:
        with self._lock:
            return self._subs.pop(subscription_id, None) is not None

    def targets(self, task_type: str, task_sub_type: str) -> list[Target]:
        with self._lock:
            return [Target(s["subscriptionId"], s["notificationWebhookURL"], s["webhookAuthenticationToken"])
                    for s in self._subs.values()
                    if s["taskType"] == task_type and s["taskSubType"] == task_sub_type]


def public(sub: dict[str, Any]) -> dict[str, Any]:
    """Never hand the shared secret back out."""
    return {k: v for k, v in sub.items() if k != "webhookAuthenticationToken"}


def notification(task: dict[str, Any]) -> dict[str, Any]:
    return {k: task[k] for k in NOTIFICATION_FIELDS}


def subscriptions_router(ctx: SimContext) -> APIRouter:
    router = APIRouter(tags=["subscriptions"])
    store = ctx.subscriptions

    @router.post("/v1/subscriptions", dependencies=[Depends(ctx.auth.require("subscriptions.write"))])
    def subscribe(body: Annotated[list[SubscriptionIn], Body(min_length=1)]) -> JSONResponse:
        # All or nothing: every URL must answer the ConnectionTest with 200 before anything is stored.
        errors = []
        pending = []
        for item in body:
            sub = {"subscriptionId": str(uuid.uuid4()), **item.model_dump(mode="json"), "status": "Active",
                   "created": iso(ctx.clock.now_us())}
            target = Target(sub["subscriptionId"], sub["notificationWebhookURL"],
                            sub["webhookAuthenticationToken"])
            test = {"taskId": str(uuid.uuid4()), "taskStatus": "Open", "taskType": "ConnectionTest",
                    "taskSubType": "ConnectionTest", "documentId": None,
                    "expirationTime": iso(ctx.clock.now_us() + int(ctx.settings.task_ttl * 1_000_000))}
            status, error = ctx.webhooks.send_now(ctx.webhooks.build(target, test))
            if status != 200:
                errors.append(error_entity(
                    "DATA_VALIDATION_FAILED",
                    f"ConnectionTest to {sub['notificationWebhookURL']} was answered {status or error}; "
                    "the webhook must answer 200", "BUSINESS"))
            pending.append(sub)
        if errors:
            raise ApiError(400, "DATA_VALIDATION_FAILED", "ConnectionTest failed", errors=errors)
        return JSONResponse([store.add(sub) for sub in pending])

    @router.get("/v1/subscriptions",
                dependencies=[Depends(ctx.auth.require("subscriptions.read", "subscriptions.write"))])
    def list_subscriptions() -> JSONResponse:
        subs = store.all()
        if not subs:
            raise not_found()
        return JSONResponse(subs)

    @router.delete("/v1/subscriptions/{subscription_id}",
                   dependencies=[Depends(ctx.auth.require("subscriptions.delete", "subscriptions.write"))])
    def unsubscribe(subscription_id: str) -> Response:
        if not store.delete(subscription_id):
            raise not_found(f"Subscription {subscription_id} not found")
        return Response(status_code=200)

    tasks_scope = Depends(ctx.auth.require("tasks.read", "accountingDocuments.read"))

    @router.get("/v1/tasks", dependencies=[tasks_scope])
    def list_tasks(request: Request) -> JSONResponse:
        params = query_params(request, ("taskType", "taskSubType", "pageSize"))
        size = page_size(params, maximum=500, default=500)
        position = ctx.continuations.resolve(request, "tasks", params)
        if params.get("taskType", "AccountingDocuments") != "AccountingDocuments" or \
                params.get("taskSubType", "WaitingForTransfer") != "WaitingForTransfer":
            raise not_found()  # the simulator only opens tasks for documents waiting for transfer
        tasks, last = ctx.documents.open_tasks(position, size)
        if not tasks:
            raise not_found()
        return JSONResponse(tasks, headers=ctx.continuations.headers("tasks", params, last))

    return router
