"""The webhook receiver as Airflow's API server runs it (mounted by plugins/ml_connector_plugin.py).

Tenants come from the tenants file, each tenant's HMAC key from its Basware connection's extra
`webhook_secret`, the inbox from the state store, and runs from Airflow's own trigger function. The
API server, unlike a task, has the metadata DB, so this reads connections and writes DagRuns directly.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from fastapi import FastAPI
from pydantic import SecretStr

from ml_connector.airflow.hooks import read_connection
from ml_connector.config import ConnectorConfig, TenantConfig, load_config
from ml_connector.connection_settings import CONN_TYPE_BASWARE, WEBHOOK_SECRET_FIELD, extra_value
from ml_connector.state import StateStore
from ml_connector.webhooks import SignatureScheme, TenantWebhook
from ml_connector.webhooks import create_app as create_receiver_app

log = logging.getLogger(__name__)

CACHE_SECONDS = 30.0  # a changed tenants file or secret takes effect within this; misses are not cached


def webhook_secret(conn_id: str) -> SecretStr | None:
    conn = read_connection(conn_id)
    value = extra_value(conn.extra_dejson, CONN_TYPE_BASWARE, WEBHOOK_SECRET_FIELD) if conn else None
    return SecretStr(str(value)) if value else None


def tenant_webhook(tenant: TenantConfig, secret: SecretStr | None) -> TenantWebhook:
    hook = tenant.trigger.webhook
    scheme = SignatureScheme(hook.signature_header, hook.timestamp_header, hook.tolerance_seconds,
                             hook.require_timestamp)
    return TenantWebhook(tenant.tenant_id, tenant.trigger.mode, secret, scheme, hook.delivery_id_header)


class TenantDirectory:
    """tenant_id -> TenantWebhook, briefly cached: Basware wants fast answers."""

    def __init__(self, config: Callable[[], ConnectorConfig] = load_config,
                 secret: Callable[[str], SecretStr | None] = webhook_secret, *, ttl: float = CACHE_SECONDS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._load_config, self._load_secret, self._ttl, self._clock = config, secret, ttl, clock
        self._lock = threading.Lock()
        self._config: tuple[float, ConnectorConfig] | None = None
        self._secrets: dict[str, tuple[float, SecretStr]] = {}

    def __call__(self, tenant_id: str) -> TenantWebhook | None:
        tenant = next((t for t in self._tenants().tenants if t.tenant_id == tenant_id), None)
        if tenant is None:
            return None
        secret = self._secret(tenant.basware_conn_id) if tenant.trigger.accepts_webhooks else None
        return tenant_webhook(tenant, secret)

    def _tenants(self) -> ConnectorConfig:
        now = self._clock()
        with self._lock:
            if self._config is None or now - self._config[0] > self._ttl:
                self._config = (now, self._load_config())
            return self._config[1]

    def _secret(self, conn_id: str) -> SecretStr | None:
        now = self._clock()
        with self._lock:
            cached = self._secrets.get(conn_id)
            if cached and now - cached[0] <= self._ttl:
                return cached[1]
        secret = self._load_secret(conn_id)  # outside the lock: a slow DB must not serialise tenants
        if secret is not None:
            with self._lock:
                self._secrets[conn_id] = (now, secret)
        return secret


def state_store() -> StateStore:
    """The state store, its connection read the API-server way (metadata DB, not the task API)."""
    from ml_connector.airflow.state import admin_state_url, store_for_url

    return store_for_url(admin_state_url())


def create_app(lookup: Callable[[str], TenantWebhook | None] | None = None,
               store: Callable[[], StateStore] = state_store,
               trigger: Callable[[str, list[str]], bool] | None = None) -> FastAPI:
    """Cheap to call at import: nothing touches the config, a connection or a database until a request."""
    if trigger is None:
        from ml_connector.airflow.webhook_trigger import trigger_invoice_run

        trigger = trigger_invoice_run
    return create_receiver_app(lookup or TenantDirectory(), store, trigger)
