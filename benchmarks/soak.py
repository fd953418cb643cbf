"""The soak's many seeded short runs: every fault class on (lost answers, 429/5xx, slow and dropped
connections, revoked and expired tokens, concurrent IFS writers, duplicate and out-of-order webhooks,
invalid invoices), the worker's process group SIGKILLed at a random moment, then the invariants.
Exit status 1 on any breach, naming the invoice ids.

    .venv/bin/python benchmarks/soak.py --runs 200 --runs-under-faults 1 --kill-share 1 --workdir /tmp/soak
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from mlc_sandbox.soak.seeded import SeededOptions, run_seeded


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=200, help="seeded short runs")
    parser.add_argument("--first-seed", type=int, default=1)
    parser.add_argument("--invoices", type=int, default=12, help="approved invoices per run")
    parser.add_argument("--runs-under-faults", type=int, default=2, help="DAG runs per seed with faults on")
    parser.add_argument("--fault-scale", type=float, default=0.35, help="times every fault rate of the soak")
    parser.add_argument("--kill-share", type=float, default=0.7, help="share of runs whose worker is SIGKILLed")
    parser.add_argument("--workdir", type=Path, default=Path("soak-work"), help="logs and state of every run")
    parser.add_argument("--inject-breach-seed", type=int, default=None,
                        help="test of the check: after this seed's runs one invoice is set back to waiting")
    args = parser.parse_args(argv)
    opts = SeededOptions(runs=args.runs, first_seed=args.first_seed, invoices=args.invoices,
                         runs_under_faults=args.runs_under_faults, kill_share=args.kill_share,
                         fault_scale=args.fault_scale, workdir=args.workdir,
                         inject_breach_seed=args.inject_breach_seed)
    figures = run_seeded(opts, progress=lambda line: print(line, flush=True))
    print(json.dumps(figures.summary(), indent=2))
    for seed, breach in figures.breaches:
        print(f"seed {seed}: {breach}")
    return 1 if figures.breaches else 0


if __name__ == "__main__":
    sys.exit(main())
