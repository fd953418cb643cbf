"""`ml-connector gaps`: per IFS company, the Basware codes that would not land on a valid IFS value."""

from __future__ import annotations

import argparse
import json
from typing import Any

from ml_connector.cli.arguments import add_tenant_arguments
from ml_connector.cli.stdio import stdout_to_stderr
from ml_connector.cli.tables import render
from ml_connector.config import load_config


def gaps_text(tenant_id: str, gaps: list[dict[str, Any]]) -> str:
    if not gaps:
        return f"Tenant {tenant_id}: no mapping gaps"
    lines = [f"Tenant {tenant_id}: {len(gaps)} mapping gap(s)"]
    for company in sorted({g["company"] for g in gaps}):
        rows = [(g["code_part"], g["code"], g["source"], g["reason"], ", ".join(g["invoices"]) or "-")
                for g in gaps if g["company"] == company]
        lines.append(f"IFS company {company}:")
        lines.append(render(("PART", "CODE", "SEEN IN", "REASON", "BLOCKS INVOICES"), rows, indent="  "))
    return "\n".join(lines)


def _gaps(args: argparse.Namespace) -> int:
    from ml_connector.airflow.operations import tenant_context
    from ml_connector.sync.gaps import find_gaps, record_gaps

    config = load_config(args.config)
    tenant = config.tenant(args.tenant)
    with stdout_to_stderr(), tenant_context(config, tenant, "gaps-report") as ctx:
        found = find_gaps(ctx)
        record_gaps(ctx, found)  # the operations page shows the latest report
        gaps = [g.to_json() for g in found]
    print(json.dumps(gaps, indent=2) if args.json else gaps_text(tenant.tenant_id, gaps))
    return 0


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    help_text = ("per IFS company, the Basware codes in waiting invoices and lists that would not land on a "
                 "valid IFS value, and the invoices each blocks")
    gaps = sub.add_parser("gaps", help=help_text, description=help_text)
    add_tenant_arguments(gaps)
    gaps.add_argument("--json", action="store_true", help="print JSON, for scripts")
    gaps.set_defaults(handler=_gaps, airflow=True)
