"""Airflow hooks: turn an Airflow connection into a configured API client.

Secrets live only in the connection (Fernet-encrypted in Airflow's metadata DB, or a secrets
backend); the hooks parse it once into a typed model and hand back our client, not a raw session.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import Any

from airflow.sdk import BaseHook
from pydantic import ValidationError

from ml_connector.basware.client import BaswareClient
from ml_connector.config import DEFAULT_REGIONS, ConfigError, TenantConfig, load_config
from ml_connector.connection_check import check_basware, check_ifs_all
from ml_connector.connection_settings import (
    CONN_TYPE_BASWARE,
    CONN_TYPE_IFS,
    BaswareConnection,
    IfsConnection,
    extra_value,
)
from ml_connector.field_map import IfsFieldMap, default_field_map
from ml_connector.ifs.client import IfsClient


def field_errors(exc: ValidationError) -> str:
    return "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())


def _invalid(conn_id: str, exc: ValidationError) -> ConfigError:
    return ConfigError(f"connection {conn_id!r} is incomplete or invalid: {field_errors(exc)}")


def read_connection(conn_id: str) -> Any | None:
    """A connection as admin commands and the API server see it (outside tasks, where the SDK's
    lookup does not read the metadata DB): env vars, secrets backends, then the metadata DB
    (Fernet-decrypted). None when it is defined nowhere; ConfigError when its AIRFLOW_CONN_*
    variable is malformed (Airflow would skip it silently and report "does not exist")."""
    from airflow.models import Connection
    from airflow.sdk.exceptions import AirflowNotFoundException

    check_environment_connection(conn_id)
    try:
        return Connection.get_connection_from_secrets(conn_id)
    except AirflowNotFoundException:
        return None


def check_environment_connection(conn_id: str) -> None:
    """Parse $AIRFLOW_CONN_<ID> the way Airflow's environment backend does, naming what is wrong (never
    the value: it holds the secret)."""
    from airflow.models import Connection

    variable = f"AIRFLOW_CONN_{conn_id.upper()}"
    value = os.environ.get(variable)
    if value is None:
        return
    try:
        if value.lstrip().startswith("{"):
            if not isinstance(json.loads(value), dict):
                raise ValueError("not a JSON object")
            Connection.from_json(value, conn_id=conn_id)
        else:
            Connection(conn_id=conn_id, uri=value)
    except Exception as exc:  # json, URI or field errors alike: all mean "malformed"
        why = exc.msg if isinstance(exc, json.JSONDecodeError) else type(exc).__name__
        raise ConfigError(f"${variable} is set but malformed ({why}), so Airflow ignores it: fix it as a JSON "
                          f"object or a connection URI, or unset it") from None


def require_connection(conn_id: str, owner: str) -> Any:
    conn = read_connection(conn_id)
    if conn is None:
        raise ConfigError(f"{owner}: Airflow connection {conn_id!r} does not exist "
                          "(run `ml-connector connect` first)")
    return conn


def _tenant_field_map(ifs_conn_id: str) -> IfsFieldMap:
    """The IFS field map of the tenant using this connection (the default profile when none does)."""
    try:
        tenants = [t for t in load_config().tenants if t.ifs_conn_id == ifs_conn_id]
    except ConfigError:
        tenants = []
    return tenants[0].ifs.fields if tenants else default_field_map()


def _regions() -> dict[str, str]:
    """The region map of the tenants file; the built-in defaults when no file can be read."""
    try:
        return load_config().region_map()
    except ConfigError:
        return dict(DEFAULT_REGIONS)


class BaswareHook(BaseHook):
    conn_name_attr = "basware_conn_id"
    default_conn_name = "basware_default"
    conn_type = CONN_TYPE_BASWARE
    hook_name = "Basware P2P"

    def __init__(self, basware_conn_id: str = default_conn_name, regions: Mapping[str, str] | None = None,
                 **client_kwargs: Any) -> None:
        super().__init__()
        self.basware_conn_id = basware_conn_id
        self._regions = dict(regions) if regions is not None else None
        self._client_kwargs = client_kwargs
        self._client: BaswareClient | None = None

    def settings(self) -> BaswareConnection:
        return self.parse_connection(self.get_connection(self.basware_conn_id))

    @classmethod
    def parse_connection(cls, conn: Any) -> BaswareConnection:
        """Any Airflow Connection (SDK or ORM model) -> typed settings, once."""
        extra = conn.extra_dejson
        fields = {
            "region": extra_value(extra, cls.conn_type, "region") or "eu",
            "base_url": conn.host or "",
            "client_id": conn.login or "",
            "client_secret": conn.password or "",
            "scopes": extra_value(extra, cls.conn_type, "scopes") or None,
            "request_id_header": extra_value(extra, cls.conn_type, "request_id_header") or None,
        }
        try:
            return BaswareConnection(**{k: v for k, v in fields.items() if v is not None})
        except ValidationError as exc:
            raise _invalid(conn.conn_id, exc) from None

    def get_conn(self) -> BaswareClient:
        if self._client is None:
            regions = self._regions if self._regions is not None else _regions()
            self._client = self.settings().build_client(regions, **self._client_kwargs)
        return self._client

    def test_connection(self) -> tuple[bool, str]:
        try:
            result = check_basware(self.get_conn())
        except ConfigError as exc:
            return False, str(exc)
        return result.ok, result.line()


class IfsCloudHook(BaseHook):
    conn_name_attr = "ifs_conn_id"
    default_conn_name = "ifs_cloud_default"
    conn_type = CONN_TYPE_IFS
    hook_name = "IFS Cloud"

    def __init__(self, ifs_conn_id: str = default_conn_name, fields: IfsFieldMap | None = None,
                 **client_kwargs: Any) -> None:
        """`fields`: the tenant's IFS names; by default those of the tenant using this connection."""
        super().__init__()
        self.ifs_conn_id = ifs_conn_id
        self._fields = fields
        self._client_kwargs = client_kwargs
        self._client: IfsClient | None = None

    def settings(self) -> IfsConnection:
        return self.parse_connection(self.get_connection(self.ifs_conn_id))

    @classmethod
    def parse_connection(cls, conn: Any) -> IfsConnection:
        extra = conn.extra_dejson
        fields = {
            "host": conn.host or "",
            "realm": extra_value(extra, cls.conn_type, "realm") or "",
            "client_id": conn.login or "",
            "client_secret": conn.password or "",
            "projection_path": extra_value(extra, cls.conn_type, "projection_path") or None,
            "companies": extra_value(extra, cls.conn_type, "companies") or None,
        }
        try:
            return IfsConnection(**{k: v for k, v in fields.items() if v is not None})
        except ValidationError as exc:
            raise _invalid(conn.conn_id, exc) from None

    def get_conn(self) -> IfsClient:
        if self._client is None:
            fields = self._fields or _tenant_field_map(self.ifs_conn_id)
            self._client = self.settings().build_client(fields=fields, **self._client_kwargs)
        return self._client

    def test_connection(self) -> tuple[bool, str]:
        try:
            settings = self.settings()
            result = check_ifs_all(self.get_conn(), settings.companies)
        except ConfigError as exc:
            return False, str(exc)
        return result.ok, result.line()


def tenant_basware_settings(tenant: TenantConfig) -> BaswareConnection:
    """The tenant's stored Basware connection, refused when it is for another region than the tenant's."""
    conn = require_connection(tenant.basware_conn_id, f"tenant {tenant.tenant_id!r}")
    settings = BaswareHook.parse_connection(conn)
    if settings.region != tenant.basware_region:
        raise ConfigError(f"connection {tenant.basware_conn_id!r} is for region {settings.region!r}, "
                          f"tenant {tenant.tenant_id!r} is configured for {tenant.basware_region!r}")
    return settings


def tenant_ifs_settings(tenant: TenantConfig) -> IfsConnection:
    conn = require_connection(tenant.ifs_conn_id, f"tenant {tenant.tenant_id!r}")
    return IfsCloudHook.parse_connection(conn)
