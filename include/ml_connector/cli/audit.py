"""`ml-connector audit`: the vendor audit trail, and which system made the last change to each vendor."""

from __future__ import annotations

import argparse
import json
from typing import Any

from ml_connector.cli.arguments import add_tenant_arguments
from ml_connector.cli.stdio import stdout_to_stderr
from ml_connector.config import load_config


def _entries(tenant_id: str, vendor: str | None) -> list[dict[str, Any]]:
    from ml_connector.airflow.operations import open_store

    store = open_store()
    try:
        entries = store.audit_entries(tenant_id, "vendor", vendor)
    finally:
        store.dispose()
    return [{"vendor": e.entity_key, "action": e.action, "system": e.source_system, "at": e.at.isoformat(),
             "run_id": e.run_id, "changes": e.changes or {}} for e in entries]


def audit_lines(tenant_id: str, entries: list[dict[str, Any]]) -> str:
    """Per vendor: the last change's system first (the one-line answer), then every field change."""
    if not entries:
        return f"tenant {tenant_id}: no vendor audit entries"
    lines: list[str] = []
    last: dict[str, dict[str, Any]] = {e["vendor"]: e for e in entries}
    for code, entry in last.items():
        lines.append(f"vendor {code}: last change by {entry['system']} at {entry['at']} ({entry['action']}, "
                     f"run {entry['run_id']})")
    for e in entries:
        for name, change in e["changes"].items():
            lines.append(f"  {e['at']}  {e['vendor']}  {e['system']:<8} {e['action']:<8} {name}: "
                         f"{change.get('before')!r} -> {change.get('after')!r}  run {e['run_id']}")
    return "\n".join(lines)


def _audit(args: argparse.Namespace) -> int:
    tenant = load_config(args.config).tenant(args.tenant)
    with stdout_to_stderr():
        entries = _entries(tenant.tenant_id, args.vendor)
    print(json.dumps(entries, indent=2, default=str) if args.json else audit_lines(tenant.tenant_id, entries))
    return 0


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    helptext = ("the vendor audit trail: per vendor and field old and new value, which system made the "
                "change, when and in which run; the first lines say which system changed each vendor last")
    audit = sub.add_parser("audit", help=helptext, description=helptext)
    add_tenant_arguments(audit)
    audit.add_argument("--vendor", help="a vendor code (IFS supplier number)")
    audit.add_argument("--json", action="store_true", help="print JSON, for scripts")
    audit.set_defaults(handler=_audit, airflow=True)
