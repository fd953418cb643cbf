"""`ml-connector trace --tenant T --invoice ID`: why did invoice X (not) arrive?"""

from __future__ import annotations

import argparse
import json

from ml_connector.cli.arguments import add_tenant_arguments
from ml_connector.cli.stdio import stdout_to_stderr
from ml_connector.config import load_config


def _trace(args: argparse.Namespace) -> int:
    from ml_connector.airflow.operations import open_store
    from ml_connector.sync.trace import trace_invoices

    tenant = load_config(args.config).tenant(args.tenant)
    with stdout_to_stderr():
        store = open_store()
        try:
            traces = trace_invoices(store, tenant.tenant_id, args.invoice)
        finally:
            store.dispose()
    if args.json:
        print(json.dumps([t.to_json() for t in traces], indent=2))
    elif not traces:
        print(f"tenant {tenant.tenant_id}: no invoice with Basware id or invoice number {args.invoice!r} "
              "has been extracted yet (is it approved in Basware, and inside a run's window?)")
    else:
        from ml_connector.cli.reports import trace_lines

        print("\n\n".join(trace_lines(t) for t in traces))
    return 0 if traces else 1


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    trace_help = "the whole story of one invoice: extraction, mapping, IFS proposal, Basware reports, errors"
    trace = sub.add_parser("trace", help=trace_help, description=trace_help)
    add_tenant_arguments(trace)
    trace.add_argument("--invoice", required=True, help="a Basware invoice id, or the supplier's invoice number")
    trace.add_argument("--json", action="store_true", help="print JSON, for scripts")
    trace.set_defaults(handler=_trace, airflow=True)
