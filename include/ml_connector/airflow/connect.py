"""`ml-connector connect` / `check`: store a tenant's two Airflow connections and ping both systems.

These run as admin commands on the Airflow host (like `airflow connections add`), so they read and
write connections through Airflow's metadata DB, where connection secrets are Fernet-encrypted.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from urllib.parse import urlsplit

from pydantic import ValidationError

from ml_connector.airflow.hooks import field_errors, read_connection, tenant_basware_settings, tenant_ifs_settings
from ml_connector.config import ConfigError, ConnectorConfig, TenantConfig
from ml_connector.connection_check import (
    CHECK_CLIENT_OPTIONS,
    CheckResult,
    check_basware,
    check_ifs,
    check_ifs_field_map,
)
from ml_connector.connection_settings import (
    CONN_TYPE_BASWARE,
    CONN_TYPE_IFS,
    BaswareConnection,
    IfsConnection,
)
from ml_connector.sync.health import record_check

log = logging.getLogger(__name__)


@dataclass
class TenantCredentials:
    basware_url: str
    basware_client_id: str
    basware_client_secret: str
    ifs_url: str
    ifs_realm: str
    ifs_client_id: str
    ifs_client_secret: str


def upsert_connection(conn_id: str, conn_type: str, host: str, login: str | None, password: str | None,
                      extra: dict[str, str | None], description: str) -> None:
    """Create or update a connection in Airflow's metadata DB (password and extra Fernet-encrypted);
    extra keys not given here are kept, keys given as None are removed."""
    from airflow.models import Connection
    from airflow.utils.session import create_session

    with create_session() as session:
        conn = session.query(Connection).filter(Connection.conn_id == conn_id).one_or_none()
        if conn is None:
            conn = Connection(conn_id=conn_id)
            session.add(conn)
        # Keep extras this command does not manage (e.g. the webhook secret `subscribe` stored):
        # re-running `connect` must not silently break webhook verification.
        kept = conn.extra_dejson if conn.extra else {}
        conn.conn_type = conn_type
        conn.host = host
        conn.port = url_port(host)
        conn.login = login
        conn.set_password(password)
        merged = {key: value for key, value in {**kept, **extra}.items() if value is not None}
        # No extra rather than "{}": Airflow masks a connection's extra text in task logs and warns about
        # one under five characters ("Skipping masking for a secret as it's too short").
        conn.set_extra(json.dumps(merged) if merged else None)
        conn.description = description


def unless_default(value: str, default: str) -> str | None:
    """None (not stored) for a setting at its default. Airflow checks every extra value for masking when a
    connection is read and warns "Skipping masking for a secret as it's too short" at a value under five
    characters, such as the defaults `eu` and `main`; parsing fills the defaults in again."""
    return None if value == default else value


def url_port(url: str) -> int | None:
    """The port a URL reaches (explicit, else the scheme's default).

    The UI's Test button posts `Number(port)`, 0 for a connection without one, and Airflow refuses to
    test stored credentials against a port other than the stored one ("host or port differs"); so a
    connection carries the port its URL implies, which is also what it connects to."""
    parts = urlsplit(url)
    try:
        explicit = parts.port
    except ValueError:
        return None  # validated before this; a malformed port is not ours to guess
    return explicit or {"https": 443, "http": 80}.get(parts.scheme)


def connect_tenant(config: ConnectorConfig, tenant: TenantConfig, creds: TenantCredentials) -> list[CheckResult]:
    """Validate, write both connections, then ping. Raises ConfigError before writing anything invalid."""
    try:
        basware = BaswareConnection(region=tenant.basware_region, base_url=creds.basware_url,
                                    client_id=creds.basware_client_id,
                                    client_secret=creds.basware_client_secret)
        ifs = IfsConnection(host=creds.ifs_url, realm=creds.ifs_realm, client_id=creds.ifs_client_id,
                            client_secret=creds.ifs_client_secret, companies=tuple(tenant.companies.values()))
    except ValidationError as exc:
        raise ConfigError(f"tenant {tenant.tenant_id!r}: invalid connection settings: "
                          f"{field_errors(exc)}") from None
    basware_url = basware.resolved_base_url(config.region_map())  # region check happens here
    basware_extra = {"region": unless_default(tenant.basware_region, "eu")}
    ifs_extra = {"realm": ifs.realm, "projection_path": unless_default(ifs.projection_path, "main"),
                 "companies": ",".join(ifs.companies)}
    upsert_connection(tenant.basware_conn_id, CONN_TYPE_BASWARE, basware_url, basware.client_id,
                      creds.basware_client_secret, basware_extra, f"Basware P2P for tenant {tenant.tenant_id}")
    upsert_connection(tenant.ifs_conn_id, CONN_TYPE_IFS, ifs.host, ifs.client_id, creds.ifs_client_secret,
                      ifs_extra, f"IFS Cloud for tenant {tenant.tenant_id}")
    # Ping with exactly what was stored, then say if something else would be used instead.
    with basware.build_client(config.region_map(), **CHECK_CLIENT_OPTIONS) as bw_client:
        results = [check_basware(bw_client)]
    with ifs.build_client(fields=tenant.ifs.fields, **CHECK_CLIENT_OPTIONS) as ifs_client:
        results.append(check_ifs(ifs_client, tenant.companies.values()))
        if results[-1].ok:  # the names are only worth checking where the projections answer
            results.append(check_ifs_field_map(ifs_client))
    record_checks(tenant, results)
    stored = {tenant.basware_conn_id: ((basware_url, basware.client_id, creds.basware_client_secret), basware_extra),
              tenant.ifs_conn_id: ((ifs.host, ifs.client_id, creds.ifs_client_secret), ifs_extra)}
    return results + [r for conn_id, (values, extra) in stored.items() if (r := shadowing(conn_id, values, extra))]


def shadowing(conn_id: str, stored: tuple[str, str, str], extra: dict[str, str | None]) -> CheckResult | None:
    """A FAIL when Airflow would not use the connection just stored: an AIRFLOW_CONN_* variable or a
    secrets backend comes before the metadata DB, for tasks and for `check` alike. Extras count too (a
    shadow with the same secret but another realm or company list is still another connection)."""
    seen = read_connection(conn_id)
    if seen is not None and (seen.host, seen.login, seen.password) == stored and all(
            seen.extra_dejson.get(key) == value for key, value in extra.items() if value is not None):
        return None
    variable = f"AIRFLOW_CONN_{conn_id.upper()}"
    source = f"${variable}" if variable in os.environ else "a secrets backend"
    return CheckResult(f"connection {conn_id}", False,
                       f"stored in the metadata DB, but {source} defines {conn_id!r} too and wins: tasks and "
                       f"`check` use that one; remove it (or update it) to use what `connect` stored")


def check_tenant(config: ConnectorConfig, tenant: TenantConfig) -> list[CheckResult]:
    results = []
    try:
        basware = tenant_basware_settings(tenant)
        with basware.build_client(config.region_map(), **CHECK_CLIENT_OPTIONS) as client:
            results.append(check_basware(client))
    except ConfigError as exc:
        results.append(CheckResult("Basware", False, str(exc)))
    try:
        with tenant_ifs_settings(tenant).build_client(fields=tenant.ifs.fields, **CHECK_CLIENT_OPTIONS) as client:
            results.append(check_ifs(client, tenant.companies.values()))
            if results[-1].ok:  # the names are only worth checking where the projections answer
                results.append(check_ifs_field_map(client))
    except ConfigError as exc:
        results.append(CheckResult("IFS Cloud", False, str(exc)))
    record_checks(tenant, results)
    return results


def record_checks(tenant: TenantConfig, results: list[CheckResult]) -> None:
    """Keep each outcome for the operations page; a state store that cannot take it only costs that."""
    from sqlalchemy.exc import SQLAlchemyError

    from ml_connector.airflow.operations import open_store

    try:
        store = open_store()
    except (ConfigError, SQLAlchemyError) as exc:
        log.warning("tenant %s: check results not recorded (state store: %s)", tenant.tenant_id, exc)
        return
    try:
        for result in results:
            record_check(store, tenant.tenant_id, result.system, result.ok, result.message)
    except SQLAlchemyError as exc:
        log.warning("tenant %s: check results not recorded (state store: %s)", tenant.tenant_id, exc)
    finally:
        store.dispose()
