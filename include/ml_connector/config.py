"""Tenant configuration: one YAML file lists the tenants; each is validated into a `TenantConfig`.

A broken file fails with the file, the tenant and the field named (`ConfigError`), never with a bare
stack trace. The Basware region of each tenant is checked against a region -> base-URL map: Basware
runs separate environments per region, and only the EU hosts are confirmed in public docs, so the
map is configuration, not code.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from functools import cached_property
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from ml_connector.config_cache import load_yaml
from ml_connector.field_map import DEFAULT_PROFILE, FieldMapError, IfsFieldMap, load_field_map

CONFIG_ENV = "ML_CONNECTOR_TENANTS"
# `sandbox=http://sandbox,eu=...`: region URLs over the file's, so one tenants file serves the demo on
# loopback and in compose (where the sandbox is the service `sandbox`).
REGIONS_ENV = "ML_CONNECTOR_REGIONS"
DEFAULT_CONFIG = Path(__file__).parent / "demo_tenants.yaml"

# Confirmed public hosts only; other regions (US, AU, CA) are added in the tenants file once known.
DEFAULT_REGIONS: dict[str, str] = {
    "eu": "https://api.basware.com",
    "eu-test": "https://test-api.basware.com",
    "sandbox": "http://127.0.0.1",
}

CODE_PART = re.compile(r"^[B-J]$")
BASWARE_CODING_FIELDS = (
    "costCenterCode", "projectCode", "profitCenterCode", "plant",
    *(f"dimCode{n}" for n in range(1, 11)),
)


class ConfigError(ValueError):
    """A tenant configuration that cannot be used; the message names file, tenant and field."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class WebhookConfig(_Strict):
    """How Basware signs notifications. Header names and encoding are unverified against production
    Basware, so they are settings; the timestamp header is checked only when present unless required."""

    signature_header: str = Field(default="x-bwapi-signature-256", min_length=1)
    timestamp_header: str = Field(default="x-bwapi-timestamp", min_length=1)
    delivery_id_header: str = Field(default="x-bwapi-delivery-id", min_length=1)
    tolerance_seconds: int = Field(default=300, ge=1)
    require_timestamp: bool = False


class TriggerConfig(_Strict):
    mode: Literal["poll", "webhook", "both"] = "poll"
    # Cron or preset; webhook-only tenants still get a slow safety poll (missed notifications).
    schedule: str = "*/15 * * * *"
    webhook: WebhookConfig = WebhookConfig()

    @property
    def accepts_webhooks(self) -> bool:
        return self.mode in ("webhook", "both")


class AlertConfig(_Strict):
    email: list[str] = []
    webhook_conn_id: str | None = None  # an HTTP connection (e.g. Teams/Slack incoming webhook)


class GlAccountRules(_Strict):
    """Basware account code -> IFS account (code part A). Unlisted codes pass through unchanged."""

    overrides: dict[str, str] = {}
    strip_prefix: str = ""

    def ifs_account(self, basware_account: str) -> str:
        if basware_account in self.overrides:
            return self.overrides[basware_account]
        if self.strip_prefix and basware_account.startswith(self.strip_prefix):
            return basware_account[len(self.strip_prefix):]
        return basware_account


class VendorSyncConfig(_Strict):
    """The vendor DAG (`mlc_<tenant>_vendors`): its schedule, and who wins when both systems changed a vendor."""

    schedule: str = "0 * * * *"
    conflict_policy: Literal["ifs_wins", "basware_wins", "hold"] = "ifs_wins"
    # A vendor whose vendorCode is one of these (or blank) has no IFS supplier number yet: the connector
    # creates the supplier as <new_supplier_prefix><10 digits> and writes the number back to Basware.
    pending_vendor_codes: list[str] = ["NEW", "PENDING"]
    new_supplier_prefix: str = Field("BW", pattern=r"^[A-Z0-9]{0,8}$")


MASTER_DATA_TARGET = re.compile(r"^(costCenters|ACC_LIST_([1-9]|[12][0-9]|3[0-5]))$")


class MasterDataConfig(_Strict):
    """IFS -> Basware master data: GL accounts always go to `accounts`; each code part listed in `targets`
    goes to `costCenters` or a generic list `ACC_LIST_n`."""

    schedule: str = "0 3 * * *"
    # IFS company -> {code part letter B..J -> "costCenters" | "ACC_LIST_1".."ACC_LIST_35"}.
    targets: dict[str, dict[str, str]] = {}
    # IFS company -> the language its IFS descriptions are in, sent next to en-US (e.g. "sv-SE").
    languages: dict[str, str] = {}
    # Codes used in Basware but missing in IFS: reported always; created in IFS only when allowed.
    create_missing_in_ifs: bool = False

    @field_validator("targets")
    @classmethod
    def _targets(cls, value: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
        for company, mapping in value.items():
            for letter, target in mapping.items():
                if not CODE_PART.match(letter):
                    raise ValueError(f"company {company}: code part {letter!r} must be one letter B..J")
                if not MASTER_DATA_TARGET.match(target):
                    raise ValueError(f"company {company}: code part {letter} target {target!r} must be "
                                     "costCenters or ACC_LIST_1..35")
            used = list(mapping.values())
            if len(used) != len(set(used)):
                raise ValueError(f"company {company}: two code parts go to the same Basware target")
        return value


class TenantIfs(_Strict):
    """Which IFS names the tenant's release uses: a shipped profile plus single-name overrides."""

    field_map: str = DEFAULT_PROFILE
    field_overrides: dict[str, Any] = {}
    # "batch": a proposal and its rows in one atomic $batch change set; "per_entity": one request per
    # entity, for IFS releases or gateways without $batch.
    write_mode: Literal["batch", "per_entity"] = "batch"
    # Proposals looked up in one query (ExternalRef in a list); bounded by the URL length gateways take.
    lookup_page_size: int = Field(default=40, ge=1, le=200)

    @model_validator(mode="after")
    def _resolvable(self) -> TenantIfs:
        self.fields  # noqa: B018  (refused here, at load, with the tenant and field named)
        return self

    @cached_property
    def fields(self) -> IfsFieldMap:
        try:
            return load_field_map(self.field_map, self.field_overrides)
        except FieldMapError as exc:
            raise ValueError(str(exc)) from None
        except ValidationError as exc:
            where = "; ".join(f"field_overrides.{'.'.join(str(p) for p in e['loc'])}: {e['msg']}"
                              for e in exc.errors())
            raise ValueError(f"IFS field map {self.field_map!r}: {where}") from None


class ConcurrencyConfig(_Strict):
    """Requests in flight per system for one tenant, shared by the workers of a batch (in one process).
    1 and 1 is the old one-after-another behaviour."""

    ifs: int = Field(default=4, ge=1, le=32)
    basware: int = Field(default=4, ge=1, le=32)

    @property
    def workers(self) -> int:
        return max(self.ifs, self.basware)


class TenantConfig(_Strict):
    tenant_id: str = Field(pattern=r"^[a-z][a-z0-9_]{0,39}$")
    ifs_conn_id: str
    basware_conn_id: str
    basware_region: str
    # Basware company code -> IFS company.
    companies: dict[str, str] = Field(min_length=1)
    # IFS company -> {Basware coding-row field -> IFS code part letter B..J}.
    dimensions: dict[str, dict[str, str]] = {}
    gl_accounts: GlAccountRules = GlAccountRules()
    ifs: TenantIfs = TenantIfs()
    concurrency: ConcurrencyConfig = ConcurrencyConfig()
    trigger: TriggerConfig = TriggerConfig()
    alerts: AlertConfig = AlertConfig()
    vendors: VendorSyncConfig = VendorSyncConfig()
    master_data: MasterDataConfig = MasterDataConfig()

    @field_validator("dimensions")
    @classmethod
    def _dimension_targets(cls, value: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
        for company, mapping in value.items():
            for field_name, code_part in mapping.items():
                if field_name not in BASWARE_CODING_FIELDS:
                    raise ValueError(f"company {company}: {field_name!r} is not a Basware coding-row field "
                                     f"(one of {', '.join(BASWARE_CODING_FIELDS)})")
                if not CODE_PART.match(code_part):
                    raise ValueError(f"company {company}: code part {code_part!r} for {field_name} "
                                     "must be one letter B..J (A is the account)")
            parts = list(mapping.values())
            if len(parts) != len(set(parts)):
                raise ValueError(f"company {company}: two Basware fields map to the same code part")
        return value

    @model_validator(mode="after")
    def _dimensions_for_known_companies(self) -> TenantConfig:
        unknown = set(self.dimensions) - set(self.companies.values())
        if unknown:
            raise ValueError(f"dimensions given for IFS companies not in companies: {', '.join(sorted(unknown))}")
        unknown = set(self.master_data.targets) | set(self.master_data.languages)
        unknown -= set(self.companies.values())
        if unknown:
            raise ValueError(f"master_data given for IFS companies not in companies: {', '.join(sorted(unknown))}")
        return self

    def ifs_company(self, basware_company_code: str) -> str | None:
        return self.companies.get(basware_company_code)


class ConnectorConfig(_Strict):
    regions: dict[str, str] = {}
    tenants: list[TenantConfig] = []

    def region_map(self) -> dict[str, str]:
        return {**DEFAULT_REGIONS, **self.regions}

    def tenant(self, tenant_id: str) -> TenantConfig:
        for tenant in self.tenants:
            if tenant.tenant_id == tenant_id:
                return tenant
        known = ", ".join(t.tenant_id for t in self.tenants) or "none"
        raise ConfigError(f"no tenant {tenant_id!r} in the configuration (tenants: {known})")

    @model_validator(mode="after")
    def _unique_and_known_regions(self) -> ConnectorConfig:
        ids = [t.tenant_id for t in self.tenants]
        dupes = {i for i in ids if ids.count(i) > 1}
        if dupes:
            raise ValueError(f"tenant ids must be unique: {', '.join(sorted(dupes))}")
        regions = self.region_map()
        for tenant in self.tenants:
            if tenant.basware_region not in regions:
                raise ValueError(f"tenant {tenant.tenant_id!r}: unknown Basware region "
                                 f"{tenant.basware_region!r} (known: {', '.join(sorted(regions))})")
        return self


def validate_region_host(region: str, base_url: str, regions: dict[str, str]) -> None:
    """Refuse a Basware base URL whose host does not belong to the tenant's region."""
    if region not in regions:
        raise ConfigError(f"unknown Basware region {region!r} (known: {', '.join(sorted(regions))})")
    expected, given = urlsplit(regions[region]), urlsplit(base_url)
    same_host = (expected.scheme, expected.hostname) == (given.scheme, given.hostname)
    # A region URL without a port accepts any port (the sandbox picks free ports).
    same_port = expected.port is None or expected.port == given.port
    if not (same_host and same_port):
        raise ConfigError(f"Basware host {base_url!r} does not belong to region {region!r} "
                          f"(expected {regions[region]!r})")


def _describe(error: ValidationError, data: dict[str, Any]) -> str:
    lines = []
    tenants = data.get("tenants") if isinstance(data, dict) else None
    for item in error.errors():
        loc = list(item["loc"])
        where = "top level"
        if len(loc) >= 2 and loc[0] == "tenants" and isinstance(loc[1], int):
            raw = tenants[loc[1]] if isinstance(tenants, list) and loc[1] < len(tenants) else {}
            name = raw.get("tenant_id", f"#{loc[1] + 1}") if isinstance(raw, dict) else f"#{loc[1] + 1}"
            field = ".".join(str(p) for p in loc[2:]) or "(tenant)"
            where = f"tenant {name!r}, field {field}"
        elif loc:
            where = f"field {'.'.join(str(p) for p in loc)}"
        lines.append(f"{where}: {item['msg']}")
    return "; ".join(lines)


def region_overrides(value: str) -> dict[str, str]:
    """`name=url,name=url` (from $ML_CONNECTOR_REGIONS) as a dict; a malformed item is a ConfigError."""
    out: dict[str, str] = {}
    for item in filter(None, (part.strip() for part in value.split(","))):
        name, sep, url = item.partition("=")
        if not (sep and name.strip() and urlsplit(url.strip()).hostname):
            raise ConfigError(f"${REGIONS_ENV}: {item!r} is not region=URL (e.g. sandbox=http://sandbox)")
        out[name.strip()] = url.strip()
    return out


def load_config(path: str | os.PathLike[str] | None = None, *,
                only_tenants: Callable[[str], bool] | None = None) -> ConnectorConfig:
    """Load and validate the tenants file (argument, then $ML_CONNECTOR_TENANTS, then the bundled demo).

    `only_tenants`: validate only the tenants whose id it accepts (a worker parsing the DAG file for one
    task needs one tenant of hundreds; the DAG processor's full parse still validates every one)."""
    source = Path(path or os.environ.get(CONFIG_ENV) or DEFAULT_CONFIG)
    try:
        data = load_yaml(source) or {}
    except OSError as exc:
        raise ConfigError(f"{source}: cannot read tenant configuration: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{source}: not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: expected a mapping with 'tenants', got {type(data).__name__}")
    overrides = region_overrides(os.environ.get(REGIONS_ENV, ""))
    if overrides:
        data["regions"] = {**(data.get("regions") or {}), **overrides}
    if only_tenants is not None and isinstance(data.get("tenants"), list):
        data = {**data, "tenants": [t for t in data["tenants"]
                                    if isinstance(t, dict) and only_tenants(str(t.get("tenant_id")))]}
    try:
        return ConnectorConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(f"{source}: {_describe(exc, data)}") from None
