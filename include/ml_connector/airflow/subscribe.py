"""`ml-connector subscribe`: make sure a tenant has a webhook secret, then subscribe Basware to our receiver.

An admin command on the Airflow host, like `connect`: it reads and writes the Basware connection through
Airflow's metadata DB, where the extras (and so the secret) are Fernet-encrypted. The secret is stored
before subscribing because Basware's ConnectionTest, verified by the receiver, arrives during the call.

Idempotent: the existing subscriptions are listed first. Ours (same URL, task type and subtype) is
reused while the stored secret is the one it was made with; after a new secret, or when there are
duplicates, ours are deleted (Basware deletes by type, subtype and "updated after", so never when that
would take someone else's too) and created anew. The secret is not compared with the listed one:
Basware may hand it back masked. Running it twice leaves exactly one subscription.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from ipaddress import ip_address
from typing import Any
from urllib.parse import urlsplit

from ml_connector.airflow.hooks import BaswareHook
from ml_connector.basware.subscriptions import Subscriptions
from ml_connector.config import ConfigError, ConnectorConfig, TenantConfig
from ml_connector.connection_settings import (
    CONN_TYPE_BASWARE,
    WEBHOOK_SECRET_FIELD,
    BaswareConnection,
    extra_value,
)
from ml_connector.http.errors import MlConnectorError
from ml_connector.http.redact import register_secret

SECRET_BYTES = 32  # 256-bit HMAC key
TASK_TYPE, TASK_SUB_TYPE = "AccountingDocuments", "WaitingForTransfer"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Subscribed:
    action: str  # "created", "reused" or "replaced"
    secret_created: bool


def check_webhook_url(tenant: TenantConfig, url: str) -> None:
    """Refuse URLs the receiver would not answer for this tenant, before anything is stored."""
    if not tenant.trigger.accepts_webhooks:
        raise ConfigError(f"tenant {tenant.tenant_id!r} has trigger.mode {tenant.trigger.mode!r}: set it to "
                          "'webhook' or 'both' first (the receiver answers 404 to poll-only tenants)")
    parts = urlsplit(url)
    host = parts.hostname or ""
    try:
        loopback = ip_address(host).is_loopback
    except ValueError:
        loopback = host == "localhost"
    if parts.scheme != "https" and not (parts.scheme == "http" and loopback):
        raise ConfigError(f"webhook URL {url!r} must use https (plain http only on localhost, for the "
                          "sandbox)")
    if not parts.path.rstrip("/").endswith(f"/basware/{tenant.tenant_id}"):
        raise ConfigError(f"webhook URL {url!r} must end with /basware/{tenant.tenant_id}: the receiver "
                          "finds the tenant in the path (e.g. https://airflow.example.com/ml-connector/"
                          f"webhooks/basware/{tenant.tenant_id})")


def ensure_webhook_secret(conn_id: str) -> tuple[BaswareConnection, str, bool]:
    """The connection's settings and webhook secret, generating and storing a secret if it has none;
    (settings, secret, created)."""
    from airflow.models import Connection
    from airflow.utils.session import create_session

    with create_session() as session:
        conn = session.query(Connection).filter(Connection.conn_id == conn_id).one_or_none()
        if conn is None:
            raise ConfigError(f"Airflow connection {conn_id!r} does not exist: run `ml-connector connect` "
                              "first")
        settings = BaswareHook.parse_connection(conn)
        extra = conn.extra_dejson
        existing = extra_value(extra, CONN_TYPE_BASWARE, WEBHOOK_SECRET_FIELD)
        if existing:
            register_secret(str(existing))
            return settings, str(existing), False
        secret = secrets.token_urlsafe(SECRET_BYTES)
        register_secret(secret)
        conn.set_extra(json.dumps({**extra, WEBHOOK_SECRET_FIELD: secret}))  # committed on leaving the block
    return settings, secret, True


def subscribe_tenant(config: ConnectorConfig, tenant: TenantConfig, url: str) -> Subscribed:
    check_webhook_url(tenant, url)
    settings, secret, created = ensure_webhook_secret(tenant.basware_conn_id)
    if settings.region != tenant.basware_region:
        raise ConfigError(f"connection {tenant.basware_conn_id!r} is for region {settings.region!r}, "
                          f"tenant {tenant.tenant_id!r} is configured for {tenant.basware_region!r}")
    try:
        with settings.build_client(config.region_map()) as client:
            action = ensure_subscription(client.subscriptions, url, secret, new_secret=created)
    except MlConnectorError as exc:  # messages are redacted: the secret is registered above
        raise ConfigError(f"tenant {tenant.tenant_id!r}: Basware refused the subscription: {exc}") from None
    return Subscribed(action, created)


def ensure_subscription(subs: Subscriptions, url: str, secret: str, *, new_secret: bool = False) -> str:
    """Exactly one subscription of ours for `url` with `secret`: "reused", "replaced" or "created".
    `new_secret`: the secret was just generated, so an existing subscription has an older one."""
    same_kind = [s for s in subs.existing(TASK_TYPE, TASK_SUB_TYPE)
                 if s.get("taskType") == TASK_TYPE and s.get("taskSubType") == TASK_SUB_TYPE]
    ours = [s for s in same_kind if s.get("notificationWebhookURL") == url]
    if len(ours) == 1 and not new_secret and ours[0].get("subscriptionType") == "Webhook":
        return "reused"
    action = "created"
    if ours:
        cutoff = min(_updated(s) or EPOCH for s in ours) - timedelta(seconds=1)
        others = [s for s in same_kind if s not in ours and (_updated(s) or cutoff) >= cutoff]
        if others:
            raise ConfigError(f"cannot replace the subscription for {url}: Basware deletes by type and time "
                              f"only, which would also delete {len(others)} other {TASK_TYPE}/{TASK_SUB_TYPE} "
                              "subscription(s) updated since; delete them in Basware first")
        subs.delete(TASK_TYPE, TASK_SUB_TYPE, cutoff)
        action = "replaced"
    subs.create(url, secret, task_type=TASK_TYPE, task_sub_type=TASK_SUB_TYPE)
    return action


def _updated(subscription: dict[str, Any]) -> datetime | None:
    """A subscription's lastUpdated (UTC), None when Basware does not say (then it may be any time)."""
    text = str(subscription.get("lastUpdated") or "")
    try:
        stamp = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith("Z") else text)
    except ValueError:
        return None
    return stamp.replace(tzinfo=UTC) if stamp.tzinfo is None else stamp.astimezone(UTC)
