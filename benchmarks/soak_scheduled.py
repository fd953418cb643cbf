"""The soak under a real scheduler (api-server, scheduler, dag-processor, LocalExecutor on PostgreSQL):
N tenants for M minutes with every fault class on, tokens revoked, hostile ids, webhooks and the scheduler
SIGKILLed and restarted; then the invariants per tenant. Exit status 1 on any breach, naming the ids.

    .venv/bin/python benchmarks/soak_scheduled.py --tenants 10 --minutes 10 --home /tmp/soak-scheduled
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from mlc_sandbox.soak.scheduled import ScheduledOptions, run_scheduled


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tenants", type=int, default=10)
    parser.add_argument("--minutes", type=float, default=10.0, help="minutes under fire")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--home", type=Path, default=Path("soak-scheduled"), help="Airflow home, logs, staging")
    args = parser.parse_args(argv)
    figures = run_scheduled(ScheduledOptions(home=args.home, tenants=args.tenants, minutes=args.minutes,
                                             seed=args.seed), progress=lambda line: print(line, flush=True))
    print(json.dumps(figures.summary(), indent=2))
    for tenant in figures.per_tenant:
        print(f"{tenant.tenant}: {tenant.invoices} invoices, {tenant.proposals} proposals, "
              f"{tenant.quarantined} quarantined, tokens {tenant.tokens_used}")
        for breach in tenant.breaches:
            print(f"  {tenant.tenant} {breach}")
    return 1 if figures.breaches else 0


if __name__ == "__main__":
    sys.exit(main())
