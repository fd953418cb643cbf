"""Webhook subscriptions (Basware pushes a notification per task) and the task list they are about."""

from __future__ import annotations

from typing import Any

from pydantic import SecretStr

from ml_connector.basware.transport import JSON, BaswareTransport, json_body
from ml_connector.http.redact import register_secret


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
    ) -> Any:
        token = authentication_token.get_secret_value() if isinstance(authentication_token, SecretStr) \
            else authentication_token
        register_secret(token)
        body = [{"taskType": task_type, "taskSubType": task_sub_type, "subscriptionType": subscription_type,
                 "notificationWebhookURL": webhook_url, "webhookAuthenticationToken": token}]
        # Not replay-safe: a resend after an unseen success would make a second subscription.
        resp = self._t.api.send("POST", "/v1/subscriptions", json=body, headers=JSON, replay_safe=False)
        return json_body(resp) if resp.content else None

    def list_tasks(self) -> list[dict[str, Any]]:
        return list(self._t.iter_list("/v1/tasks", {}))
