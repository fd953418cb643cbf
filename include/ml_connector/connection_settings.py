"""Typed connection settings for both systems and the clients built from them (no Airflow here).

An Airflow connection is parsed into one of these once (see `airflow/hooks.py`); the CLI builds them
from the same fields. Clients built from equal credentials share one token manager per process, so
every task thread of a tenant uses one token instead of fetching its own.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, SecretStr, field_validator

from ml_connector.basware.client import DEFAULT_SCOPES, BaswareClient
from ml_connector.config import DEFAULT_REGIONS, ConfigError, validate_region_host
from ml_connector.ifs.client import IfsClient

CONN_TYPE_BASWARE = "basware"
# No "_": Airflow turns the type into a URI scheme (RFC 3986 allows none) and warns on every lookup otherwise.
CONN_TYPE_IFS = "ifscloud"
# Extra of the Basware connection holding the webhook HMAC key (encrypted with the extras, masked in logs).
WEBHOOK_SECRET_FIELD = "webhook_secret"


def extra_value(extra: Mapping[str, Any], conn_type: str, name: str) -> Any:
    """An extra field as the UI stores it (`extra__<type>__<name>`) or as written by hand (`<name>`)."""
    value = extra.get(f"extra__{conn_type}__{name}")
    return extra.get(name) if value in (None, "") else value


class BaswareConnection(BaseModel):
    model_config = ConfigDict(frozen=True)

    region: str
    base_url: str = ""  # blank: the region's URL
    client_id: str
    client_secret: SecretStr
    scopes: str = DEFAULT_SCOPES
    request_id_header: str = "X-BW-REQUEST-ID"

    @field_validator("client_id")
    @classmethod
    def _required(cls, value: str) -> str:
        if not value:
            raise ValueError("client id is empty")
        return value

    def resolved_base_url(self, regions: Mapping[str, str] | None = None) -> str:
        """The base URL, checked against the region map (a host outside the region is refused)."""
        region_map = dict(regions or DEFAULT_REGIONS)
        if self.region not in region_map:
            raise ConfigError(f"unknown Basware region {self.region!r} (known: {', '.join(sorted(region_map))})")
        url = (self.base_url or region_map[self.region]).rstrip("/")
        validate_region_host(self.region, url, region_map)
        return url

    def build_client(self, regions: Mapping[str, str] | None = None, **kwargs: Any) -> BaswareClient:
        return BaswareClient(self.resolved_base_url(regions), self.client_id, self.client_secret, self.scopes,
                             request_id_header=self.request_id_header, **{"share_tokens": True, **kwargs})


class IfsConnection(BaseModel):
    model_config = ConfigDict(frozen=True)

    host: str
    realm: str
    client_id: str
    client_secret: SecretStr
    projection_path: str = "main"
    companies: tuple[str, ...] = ()

    @field_validator("host")
    @classmethod
    def _url(cls, value: str) -> str:
        if not value.startswith(("https://", "http://")):
            raise ValueError(f"IFS Cloud URL must start with https:// (got {value!r})")
        return value.rstrip("/")

    @field_validator("realm", "client_id")
    @classmethod
    def _required(cls, value: str) -> str:
        if not value:
            raise ValueError("must not be empty")
        return value

    @field_validator("companies", mode="before")
    @classmethod
    def _split(cls, value: Any) -> Any:
        if isinstance(value, str):
            return tuple(part.strip() for part in value.split(",") if part.strip())
        return value or ()

    def build_client(self, **kwargs: Any) -> IfsClient:
        return IfsClient(self.host, self.realm, self.client_id, self.client_secret,
                         api_segment=self.projection_path, **{"share_tokens": True, **kwargs})
