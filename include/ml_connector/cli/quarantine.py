"""`ml-connector quarantine list` and `ml-connector replay`: a tenant's quarantined invoices."""

from __future__ import annotations

import argparse
import json

from ml_connector.cli.arguments import add_tenant_arguments
from ml_connector.cli.stdio import stdout_to_stderr
from ml_connector.config import load_config


def _quarantine_list(args: argparse.Namespace) -> int:
    from ml_connector.airflow.operations import quarantine_list
    from ml_connector.cli.reports import quarantine_table

    tenant = load_config(args.config).tenant(args.tenant)
    with stdout_to_stderr():
        entries = quarantine_list(tenant)
    print(json.dumps(entries, indent=2) if args.json else quarantine_table(tenant.tenant_id, entries))
    return 0


def _replay(args: argparse.Namespace) -> int:
    from ml_connector.airflow.operations import REPLAY_DONE, replay
    from ml_connector.cli.reports import replay_lines

    config = load_config(args.config)
    with stdout_to_stderr():
        result = replay(config, config.tenant(args.tenant), None if args.all else args.invoice)
    print(json.dumps(result, indent=2) if args.json else replay_lines(result))
    return 0 if all(r["outcome"] in REPLAY_DONE for r in result["results"].values()) else 1


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    quarantine = sub.add_parser("quarantine", help="invoices that could not be mapped")
    quarantine_sub = quarantine.add_subparsers(dest="action", required=True)
    q_list = quarantine_sub.add_parser("list", help="a tenant's open quarantine entries, oldest first")
    add_tenant_arguments(q_list)
    q_list.add_argument("--json", action="store_true", help="print the entries as JSON")
    q_list.set_defaults(handler=_quarantine_list, airflow=True)

    replay_help = ("run quarantined invoices through the flow again once their mapping is fixed (and, if "
                   "Basware shows them TransferFailed, once the AP team re-sent them); exits 1 unless every "
                   "one was transferred")
    replay = sub.add_parser("replay", help=replay_help, description=replay_help)
    add_tenant_arguments(replay)
    which = replay.add_mutually_exclusive_group(required=True)
    which.add_argument("--invoice", help="a Basware invoice id")
    which.add_argument("--all", action="store_true", help="every open quarantine entry of the tenant")
    replay.add_argument("--json", action="store_true", help="print the outcomes as JSON")
    replay.set_defaults(handler=_replay, airflow=True)
