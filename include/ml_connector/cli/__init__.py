"""`ml-connector`: the command line of the connector and its sandbox."""

from __future__ import annotations

import argparse
import getpass
import json
import logging
import os
import signal
import sys
import threading
from collections.abc import Callable, Sequence

from ml_connector.config import ConfigError, load_config
from ml_connector.connectivity import CheckResult
from ml_connector.stdio import stdout_to_stderr


def _simulate(args: argparse.Namespace) -> int:
    from mlc_sandbox.runner import Sandbox, SandboxOptions

    options = SandboxOptions(seed=args.seed, invoices=args.invoices, suppliers=args.suppliers,
                             faults=args.faults, host=args.host, basware_port=args.basware_port, ifs_port=args.ifs_port,
                             ifs_token_ttl=args.ifs_token_ttl, ifs_page_limit=args.ifs_page_limit)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with Sandbox(options) as sandbox:
        creds = sandbox.credentials()
        bw, ifs = creds["basware"], creds["ifs"]
        print("ml-connector sandbox is running (Ctrl-C to stop)")
        print(f"  seed {options.seed}: {options.invoices} approved invoices, {options.suppliers} suppliers, "
              f"fault profile '{options.faults}'")
        print(f"  Basware P2P API : {bw['base_url']}")
        print(f"    token         : POST {bw['token_url']}  (HTTP Basic {bw['client_id']}:{bw['client_secret']})")
        print(f"  IFS Cloud OData : {ifs['base_url']}/main/ifsapplications/projection/v1/")
        print(f"    token         : POST {ifs['token_url']}")
        print(f"    client        : {ifs['client_id']} / {ifs['client_secret']} (realm {ifs['realm']})")
        print(f"  fault injection : {bw['base_url']}/_sandbox/faults and {ifs['base_url']}/_sandbox/faults")
        print("  try it:")
        print(f"    curl -s -u {bw['client_id']}:{bw['client_secret']} -d grant_type=client_credentials "
              f"-d scope=accountingDocuments.read {bw['token_url']}")
        sys.stdout.flush()
        try:
            while not stop.wait(0.5):
                pass
        except KeyboardInterrupt:
            pass
    return 0


def _demo(args: argparse.Namespace) -> int:
    from mlc_sandbox.demo.run import DemoOptions, run_demo

    return run_demo(DemoOptions(json_output=args.json, invoices=args.invoices, seed=args.seed, home=args.home,
                                keep_state=args.keep_state))


def _quarantine_list(args: argparse.Namespace) -> int:
    from ml_connector.airflow.operations import quarantine_list
    from ml_connector.reports import quarantine_table

    tenant = load_config(args.config).tenant(args.tenant)
    with stdout_to_stderr():
        entries = quarantine_list(tenant)
    print(json.dumps(entries, indent=2) if args.json else quarantine_table(tenant.tenant_id, entries))
    return 0


def _replay(args: argparse.Namespace) -> int:
    from ml_connector.airflow.operations import REPLAY_DONE, replay
    from ml_connector.reports import replay_lines

    config = load_config(args.config)
    with stdout_to_stderr():
        result = replay(config, config.tenant(args.tenant), None if args.all else args.invoice)
    print(json.dumps(result, indent=2) if args.json else replay_lines(result))
    return 0 if all(r["outcome"] in REPLAY_DONE for r in result["results"].values()) else 1


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
    return _print_checks(connect_tenant(config, tenant, creds))


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
    print(f"subscribed tenant {tenant.tenant_id}: subscription {done.subscription_id} "
          f"({secret_note} in connection {tenant.basware_conn_id})")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ml-connector", description=__doc__)
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", required=True)

    sim = sub.add_parser("simulate", help="run the Basware and IFS Cloud simulators until stopped")
    sim.add_argument("--basware-port", type=int, default=0, help="0 picks a free port")
    sim.add_argument("--ifs-port", type=int, default=0, help="0 picks a free port")
    sim.add_argument("--host", default="127.0.0.1", help="interface to bind (0.0.0.0 in a container)")
    sim.add_argument("--seed", type=int, default=42)
    sim.add_argument("--invoices", type=int, default=200, help="approved invoices waiting for transfer")
    sim.add_argument("--suppliers", type=int, default=300)
    sim.add_argument("--faults", default="none", help="fault profile: none, flaky, chaos, invalid-data")
    sim.add_argument("--ifs-token-ttl", type=int, default=180, help="IFS token lifetime in seconds")
    sim.add_argument("--ifs-page-limit", type=int, default=5000, help="IFS OData server page size")
    sim.set_defaults(handler=_simulate)

    from mlc_sandbox.demo import DEMO_DESCRIPTION, DEMO_HOME

    demo = sub.add_parser("demo", help="start the sandbox and run the demo tenant's invoice DAG in an "
                                       "embedded Airflow", description=DEMO_DESCRIPTION,
                          formatter_class=argparse.RawDescriptionHelpFormatter)
    demo.add_argument("--json", action="store_true", help="print the summary as JSON")
    demo.add_argument("--invoices", type=int, default=200, help="approved invoices in the sandbox")
    demo.add_argument("--seed", type=int, default=42)
    demo.add_argument("--home", default=DEMO_HOME, help="the embedded Airflow's home (default: %(default)s)")
    demo.add_argument("--keep-state", action="store_true",
                      help="keep the state store of the previous demo instead of starting empty")
    demo.set_defaults(handler=_demo)

    quarantine = sub.add_parser("quarantine", help="invoices that could not be mapped")
    quarantine_sub = quarantine.add_subparsers(dest="action", required=True)
    q_list = quarantine_sub.add_parser("list", help="a tenant's open quarantine entries, oldest first")
    q_list.add_argument("--tenant", required=True)
    q_list.add_argument("--config")
    q_list.add_argument("--json", action="store_true")
    q_list.set_defaults(handler=_quarantine_list, airflow=True)

    replay_help = ("run quarantined invoices through the flow again once their mapping is fixed (and, if "
                   "Basware shows them TransferFailed, once the AP team re-sent them); exits 1 unless every "
                   "one was transferred")
    replay = sub.add_parser("replay", help=replay_help, description=replay_help)
    replay.add_argument("--tenant", required=True)
    replay.add_argument("--config")
    which = replay.add_mutually_exclusive_group(required=True)
    which.add_argument("--invoice", help="a Basware invoice id")
    which.add_argument("--all", action="store_true", help="every open quarantine entry of the tenant")
    replay.add_argument("--json", action="store_true")
    replay.set_defaults(handler=_replay, airflow=True)

    connect = sub.add_parser("connect", help="validate a tenant, store its two Airflow connections, ping both "
                                             "systems (secrets from $MLC_BASWARE_CLIENT_SECRET and "
                                             "$MLC_IFS_CLIENT_SECRET, or a prompt)")
    connect.add_argument("--tenant", required=True)
    connect.add_argument("--config", help="tenants file (default: $ML_CONNECTOR_TENANTS or the demo file)")
    connect.add_argument("--basware-url", help="Basware base URL (default: the tenant region's URL)")
    connect.add_argument("--basware-client-id", required=True)
    connect.add_argument("--ifs-url", required=True, help="IFS Cloud URL, e.g. https://acme.ifs.cloud")
    connect.add_argument("--ifs-realm", required=True, help="IAM realm (namespace)")
    connect.add_argument("--ifs-client-id", required=True)
    connect.set_defaults(handler=_connect, airflow=True)

    check = sub.add_parser("check", help="ping both systems with a tenant's stored connections")
    check.add_argument("--tenant", required=True)
    check.add_argument("--config")
    check.set_defaults(handler=_check, airflow=True)

    subscribe = sub.add_parser("subscribe", help="subscribe Basware webhooks for a tenant to this Airflow's "
                                                 "receiver (generates the tenant's webhook secret if missing)")
    subscribe.add_argument("--tenant", required=True)
    subscribe.add_argument("--url", required=True,
                           help="https://<airflow-api-server>/ml-connector/webhooks/basware/<tenant>")
    subscribe.add_argument("--config")
    subscribe.set_defaults(handler=_subscribe, airflow=True)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if getattr(args, "airflow", False):
        # Importing Airflow sets up its own INFO logging on stdout; ours replaces it (force=True). The
        # demo imports Airflow only after pointing it at its own home.
        import airflow  # noqa: F401
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s", force=True)
    handler: Callable[[argparse.Namespace], int] = args.handler
    try:
        return handler(args)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
