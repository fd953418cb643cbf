"""Webhook-to-proposal latency on real Airflow components (api-server, scheduler, dag-processor,
CeleryExecutor with a Celery worker on the local Redis, PostgreSQL): the Basware simulator sends signed
notifications for new invoices to the webhook plugin; the time until each batch is proposals in IFS.

    .venv/bin/python benchmarks/webhook_latency.py --batches 10 --per-batch 3
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

from mlc_sandbox.soak.webhook_flow import webhook_flow


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--batches", type=int, default=10)
    parser.add_argument("--per-batch", type=int, default=3, help="invoices per batch of notifications")
    parser.add_argument("--executor", default="CeleryExecutor", choices=("CeleryExecutor", "LocalExecutor"))
    args = parser.parse_args(argv)
    latencies: list[float] = []
    with tempfile.TemporaryDirectory(prefix="mlc-webhook-latency-") as home, \
            webhook_flow(Path(home), args.executor) as flow:
        for n in range(args.batches):
            latencies.append(flow.wait_for_proposals(flow.send_batch(args.per_batch)))
            print(f"batch {n + 1}: {latencies[-1]:.1f} s", flush=True)
    ordered = sorted(latencies)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    print(f"webhook -> proposal over {len(ordered)} batches: p50 {statistics.median(ordered):.1f} s, "
          f"p95 {p95:.1f} s, max {ordered[-1]:.1f} s ({args.executor})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
