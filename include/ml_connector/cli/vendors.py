"""`ml-connector vendors duplicates` and `vendors decide`: vendors held as likely duplicates of IFS suppliers."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from typing import Any

from ml_connector.cli.arguments import add_tenant_arguments
from ml_connector.cli.stdio import stdout_to_stderr
from ml_connector.config import load_config


def duplicates_text(tenant_id: str, holds: list[dict[str, Any]]) -> str:
    if not holds:
        return f"Tenant {tenant_id}: no vendors held as duplicates"
    lines = [f"Tenant {tenant_id}: {len(holds)} vendor(s) held as likely duplicates"]
    for hold in holds:
        decision = hold.get("decision")
        lines.append(f"vendor {hold['vendor']} (code {hold['vendor_code']}) {hold['name']!r} {hold['country'] or '-'}"
                     f": would be created as IFS supplier {hold['supplier_id']}; held since {hold['first_seen']}"
                     f" ({hold['occurrences']}x)" + (f"; decided: {_decision(decision)}" if decision else ""))
        for candidate in hold["candidates"]:
            lines.append(f"  looks like IFS supplier {candidate['supplier_id']} {candidate['name']!r} "
                         f"{candidate['country'] or '-'}: matches on {', '.join(candidate['matched_on'])}")
            lines.extend(f"    {why}" for why in candidate["why"])
    lines.append("Decide: ml-connector vendors decide --tenant T --vendor VENDOR (--create | --link SUPPLIER)")
    return "\n".join(lines)


def _decision(decision: dict[str, Any]) -> str:
    target = f" {decision['supplier_id']}" if decision.get("supplier_id") else ""
    return f"{decision['action']}{target} by {decision.get('by')} at {decision.get('at')}"


def _duplicates(args: argparse.Namespace) -> int:
    from ml_connector.airflow.operations import open_store
    from ml_connector.sync.vendor_duplicates import list_holds

    tenant = load_config(args.config).tenant(args.tenant)
    with stdout_to_stderr():
        store = open_store()
        try:
            holds = list_holds(store, tenant.tenant_id)
        finally:
            store.dispose()
    print(json.dumps(holds, indent=2, default=str) if args.json else duplicates_text(tenant.tenant_id, holds))
    return 0


def _decide(args: argparse.Namespace) -> int:
    from ml_connector.airflow.operations import tenant_context
    from ml_connector.sync import vendor_duplicates, vendors

    config = load_config(args.config)
    tenant = config.tenant(args.tenant)
    run_id = f"vendors-decide__{datetime.now(UTC).strftime('%Y%m%dT%H%M%S')}"
    with stdout_to_stderr(), tenant_context(config, tenant, run_id) as ctx:
        entry = vendor_duplicates.find_hold(ctx.store, tenant.tenant_id, args.vendor)
        if entry is None:
            print(f"error: tenant {tenant.tenant_id} has no open duplicate hold for vendor {args.vendor!r} "
                  "(see ml-connector vendors duplicates)", file=sys.stderr)
            return 1
        if args.link and not vendors.supplier_exists(ctx, args.link):
            print(f"error: IFS has no supplier {args.link!r} to link vendor {entry.record_id} to", file=sys.stderr)
            return 1
        action = vendor_duplicates.LINK if args.link else vendor_duplicates.CREATE
        decision = vendor_duplicates.record_decision(ctx.store, entry, action, args.link)
        result = vendors.replay_decided(ctx)
        still_held = vendor_duplicates.find_hold(ctx.store, tenant.tenant_id, entry.record_id) is not None
    outcome = {"vendor": entry.record_id, "decision": decision, "replay": result, "resolved": not still_held}
    if args.json:
        print(json.dumps(outcome, indent=2, default=str))
    else:
        done = ("replayed: hold resolved" if not still_held
                else "replay did not finish: the vendor DAG retries it on its next run")
        counts = ", ".join(f"{k} {v}" for k, v in result["counts"].items() if v)
        print(f"vendor {entry.record_id}: {_decision(decision)}; {done} ({counts or 'nothing done'})")
    return 0 if not still_held else 1


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    vendors = sub.add_parser("vendors", help="Basware vendors held as likely duplicates of IFS suppliers")
    vendors_sub = vendors.add_subparsers(dest="action", required=True)
    dup_help = ("the vendors held instead of being created as IFS suppliers, each with the suppliers it "
                "looks like and the fields that match")
    duplicates = vendors_sub.add_parser("duplicates", help=dup_help, description=dup_help)
    add_tenant_arguments(duplicates)
    duplicates.add_argument("--json", action="store_true", help="print JSON, for scripts")
    duplicates.set_defaults(handler=_duplicates, airflow=True)

    decide_help = ("record a person's decision on a held vendor and replay it now: --create makes it a new "
                   "IFS supplier anyway, --link SUPPLIER makes SUPPLIER its vendor code in Basware; exits 1 "
                   "unless the hold was resolved")
    decide = vendors_sub.add_parser("decide", help=decide_help, description=decide_help)
    add_tenant_arguments(decide)
    decide.add_argument("--vendor", required=True,
                        help="the held vendor: its Basware externalCode, vendor code or proposed supplier number")
    which = decide.add_mutually_exclusive_group(required=True)
    which.add_argument("--create", action="store_true", help="not a duplicate: create the IFS supplier anyway")
    which.add_argument("--link", metavar="SUPPLIER", help="the same business as this existing IFS supplier")
    decide.add_argument("--json", action="store_true", help="print JSON, for scripts")
    decide.set_defaults(handler=_decide, airflow=True)
