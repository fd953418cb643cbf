"""Basware webhooks: HMAC-SHA256 verification and the FastAPI receiver the Airflow plugin mounts.

No Airflow imports here: `ml_connector.airflow.webhook_app` supplies tenants, secrets and the trigger.
"""

from __future__ import annotations

from ml_connector.webhooks.inbox import settle_deliveries
from ml_connector.webhooks.receiver import TenantWebhook, create_app, create_router
from ml_connector.webhooks.signature import SignatureError, SignatureScheme, sign, verify

__all__ = ["SignatureError", "SignatureScheme", "TenantWebhook", "create_app", "create_router",
           "settle_deliveries", "sign", "verify"]
