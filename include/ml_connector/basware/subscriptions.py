"""Webhook subscriptions (Basware pushes a notification per task) and the tasks they are about.

Basware gives a subscription no id: it is known by task type, subtype and URL, and deleted by
`taskType`, `taskSubType` and `lastUpdated` (everything of that type updated after that time).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from pydantic import SecretStr

from ml_connector.basware.transport import EMPTY, JSON, BaswareTransport, iso, items, json_body, seg
from ml_connector.http.redact import register_secret

SUBSCRIPTIONS_KEY = "subscriptions"  # GET /v1/subscriptions: {"subscriptions": [...]}
TASKS_KEY = "taskStatus"  # GET /v1/tasks and /v1/tasks/{taskId}: {"taskStatus": [...]}
TASK_STATUSES = ("New", "Completed", "Failed")


class Subscriptions:
    def __init__(self, transport: BaswareTransport) -> None:
        self._t = transport

    def create(
        self,
        webhook_url: str,
        authentication_token: str | SecretStr,
        *,
        task_type: str = "AccountingDocuments",
        task_sub_type: str = "WaitingForTransfer",
        subscription_type: str = "Webhook",
    ) -> list[dict[str, Any]]:
        """POST one subscription; returns the subscriptions Basware answers with."""
        token = authentication_token.get_secret_value() if isinstance(authentication_token, SecretStr) \
            else authentication_token
        register_secret(token)
        body = [{"taskType": task_type, "taskSubType": task_sub_type, "subscriptionType": subscription_type,
                 "notificationWebhookURL": webhook_url, "webhookAuthenticationToken": token}]
        # Not replay-safe: a resend after an unseen success would make a second subscription.
        resp = self._t.api.send("POST", "/v1/subscriptions", json=body, headers=JSON, replay_safe=False)
        answer = json_body(resp) if resp.content else []
        return [a for a in answer if isinstance(a, dict)] if isinstance(answer, list) else []

    def existing(self, task_type: str | None = None, task_sub_type: str | None = None) -> list[dict[str, Any]]:
        """The tenant's subscriptions (tokens in them are registered as secrets)."""
        params = {k: v for k, v in (("taskType", task_type), ("taskSubType", task_sub_type)) if v}
        path = "/v1/subscriptions"
        resp = self._t.api.send("GET", path, params=params, overrides=EMPTY)
        found = [] if resp.status_code == 404 else items(json_body(resp), SUBSCRIPTIONS_KEY, path)
        for sub in found:
            if sub.get("webhookAuthenticationToken"):
                register_secret(str(sub["webhookAuthenticationToken"]))
        return found

    def delete(self, task_type: str, task_sub_type: str, updated_after: datetime | str) -> int:
        """Delete the subscriptions of this type and subtype updated after `updated_after`; how many."""
        params = {"lastUpdated": iso(updated_after), "taskType": task_type, "taskSubType": task_sub_type}
        resp = self._t.api.send("DELETE", "/v1/subscriptions", params=params, overrides=EMPTY)
        if resp.status_code == 404 or not resp.content:
            return 0
        answer = json_body(resp)
        count = answer.get("numberOfRecordsDeleted") if isinstance(answer, dict) else None
        return int(count) if isinstance(count, int) else 0

    def list_tasks(
        self, *, task_type: str | None = None, task_status: str | None = None, document_id: str | None = None,
        last_updated: datetime | str | None = None,
    ) -> Iterator[dict[str, Any]]:
        """Tasks, page by page; `task_status` is one of New, Completed, Failed."""
        if task_status is not None and task_status not in TASK_STATUSES:
            raise ValueError(f"task_status must be one of {', '.join(TASK_STATUSES)}, not {task_status!r}")
        params: dict[str, Any] = {k: v for k, v in (("taskType", task_type), ("taskStatus", task_status),
                                                   ("documentId", document_id)) if v}
        if last_updated:
            params["lastUpdated"] = iso(last_updated)
        yield from self._t.iter_list("/v1/tasks", params, TASKS_KEY)

    def get_task(self, task_id: str) -> dict[str, Any] | None:
        """One task, or None when Basware does not know it."""
        path = f"/v1/tasks/{seg(task_id)}"
        resp = self._t.api.send("GET", path, overrides=EMPTY)
        if resp.status_code == 404:
            return None
        found = items(json_body(resp), TASKS_KEY, path)
        return found[0] if found else None
