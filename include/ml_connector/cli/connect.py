"""`ml-connector connect`, `check` and `subscribe`: a tenant's connections to both systems."""

from __future__ import annotations

import argparse
import getpass
import os
import sys

from ml_connector.cli.arguments import add_tenant_arguments
from ml_connector.config import ConfigError, load_config
from ml_connector.connection_check import CheckResult


def _secret(args: argparse.Namespace, env: str, label: str) -> str:
    """Secrets come from the environment or a prompt, never from a flag (shell history, ps)."""
    value = os.environ.get(env)
    if value:
        return value
    if sys.stdin.isatty():
        return getpass.getpass(f"{label}: ")
    raise ConfigError(f"{label} missing: set ${env}")


def _print_checks(results: list[CheckResult]) -> int:
    for result in results:
        print(result.line())
    return 0 if all(r.ok for r in results) else 1


def _connect(args: argparse.Namespace) -> int:
    from ml_connector.airflow.connect import TenantCredentials, connect_tenant

    config = load_config(args.config)
    tenant = config.tenant(args.tenant)
    creds = TenantCredentials(
        basware_url=args.basware_url or "", basware_client_id=args.basware_client_id,
        basware_client_secret=_secret(args, "MLC_BASWARE_CLIENT_SECRET", "Basware client secret"),
        ifs_url=args.ifs_url, ifs_realm=args.ifs_realm, ifs_client_id=args.ifs_client_id,
        ifs_client_secret=_secret(args, "MLC_IFS_CLIENT_SECRET", "IFS client secret"))
    status = _print_checks(connect_tenant(config, tenant, creds))
    stored = f"connections {tenant.basware_conn_id} and {tenant.ifs_conn_id} stored in Airflow's metadata DB"
    if status == 0:
        print(stored)
    else:
        # Stored anyway: most failures are on the other side (a company not granted, a system down), and
        # `check` can then re-test without the secrets being typed again.
        print(f"{stored}, although a check failed: tasks would fail the same way. Fix the cause above, then "
              f"`ml-connector check --tenant {tenant.tenant_id}` (or `connect` again with corrected settings)")
    return status


def _check(args: argparse.Namespace) -> int:
    from ml_connector.airflow.connect import check_tenant

    config = load_config(args.config)
    return _print_checks(check_tenant(config, config.tenant(args.tenant)))


def _subscribe(args: argparse.Namespace) -> int:
    from ml_connector.airflow.subscribe import subscribe_tenant

    config = load_config(args.config)
    tenant = config.tenant(args.tenant)
    done = subscribe_tenant(config, tenant, args.url)  # the secret is never printed
    secret_note = "new webhook secret stored" if done.secret_created else "existing webhook secret used"
    print(f"subscribed tenant {tenant.tenant_id}: subscription {done.action} "
          f"({secret_note} in connection {tenant.basware_conn_id})")
    return 0


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    connect = sub.add_parser("connect", help="validate a tenant, store its two Airflow connections, ping both "
                                             "systems (secrets from $MLC_BASWARE_CLIENT_SECRET and "
                                             "$MLC_IFS_CLIENT_SECRET, or a prompt)")
    add_tenant_arguments(connect)
    connect.add_argument("--basware-url", help="Basware base URL (default: the tenant region's URL)")
    connect.add_argument("--basware-client-id", required=True, help="Basware OAuth2 client id")
    connect.add_argument("--ifs-url", required=True, help="IFS Cloud URL, e.g. https://acme.ifs.cloud")
    connect.add_argument("--ifs-realm", required=True, help="IAM realm (namespace)")
    connect.add_argument("--ifs-client-id", required=True, help="IFS IAM client id (service user)")
    connect.set_defaults(handler=_connect, airflow=True)

    check = sub.add_parser("check", help="ping both systems with a tenant's stored connections")
    add_tenant_arguments(check)
    check.set_defaults(handler=_check, airflow=True)

    subscribe = sub.add_parser("subscribe", help="subscribe Basware webhooks for a tenant to this Airflow's "
                                                 "receiver (generates the tenant's webhook secret if missing)")
    add_tenant_arguments(subscribe)
    subscribe.add_argument("--url", required=True,
                           help="https://<airflow-api-server>/ml-connector/webhooks/basware/<tenant>")
    subscribe.set_defaults(handler=_subscribe, airflow=True)
