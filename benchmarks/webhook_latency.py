"""Webhook-to-proposal latency on real Airflow components (api-server, scheduler, dag-processor,
CeleryExecutor with a Celery worker on the local Redis, PostgreSQL): the Basware simulator sends signed
notifications for new invoices to the webhook plugin; the time until each batch is proposals in IFS.

    .venv/bin/python benchmarks/webhook_latency.py --batches 10 --per-batch 3

After the figures, where each run's time went, from Airflow's own metadata DB: waiting for the run to
start (queued behind a running one, or for the scheduler), the scheduler's gaps between one task's end
and the next one's queueing, Celery's time from queued to a running task process, and the tasks' own run.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

from mlc_sandbox.soak.webhook_flow import webhook_flow

ACTIVE = text("SELECT count(*) FROM dag_run WHERE dag_id = :dag AND state IN ('queued', 'running')")
# Per run of the invoice DAG: when it was queued and started, and its task instances in order.
RUNS = text("SELECT run_id, queued_at, start_date, end_date FROM dag_run WHERE dag_id = :dag ORDER BY id")
TASKS = text("SELECT task_id, queued_dttm, start_date, end_date FROM task_instance "
             "WHERE dag_id = :dag AND run_id = :run AND start_date IS NOT NULL ORDER BY start_date")


def breakdown(db_url: str, dag_id: str) -> list[dict[str, Any]]:
    engine = create_engine(db_url)
    out = []
    try:
        with engine.connect() as conn:
            for run_id, queued_at, started, ended in conn.execute(RUNS, {"dag": dag_id}).all():
                tis = conn.execute(TASKS, {"dag": dag_id, "run": run_id}).all()
                if not tis or started is None or ended is None:
                    continue
                scheduling = celery = running = 0.0
                previous_end = started
                for _task, queued, start, end in tis:
                    queued = queued or start
                    scheduling += max(0.0, (queued - previous_end).total_seconds())
                    celery += max(0.0, (start - queued).total_seconds())
                    running += max(0.0, ((end or start) - start).total_seconds())
                    previous_end = max(previous_end, end or start)
                out.append({"run_id": run_id, "tasks": len(tis), "total": (ended - queued_at).total_seconds(),
                            "waiting_to_start": (started - queued_at).total_seconds(),
                            "scheduler_gaps": scheduling, "celery_pickup": celery, "task_run": running})
    finally:
        engine.dispose()
    return out


def wait_idle(db_url: str, dag_id: str, timeout: float = 600.0) -> float:
    """Seconds until no run of the DAG is queued or running: the run the scheduler starts when the DAG
    first appears (catchup off: the latest interval) is a deployment's one-off, not webhook latency."""
    engine = create_engine(db_url)
    started = time.monotonic()
    try:
        while time.monotonic() - started < timeout:
            time.sleep(1.0)
            with engine.connect() as conn:
                if not conn.execute(ACTIVE, {"dag": dag_id}).scalar():
                    return time.monotonic() - started
    finally:
        engine.dispose()
    raise TimeoutError(f"{dag_id} still has active runs after {timeout:.0f} s")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--batches", type=int, default=10)
    parser.add_argument("--per-batch", type=int, default=3, help="invoices per batch of notifications")
    parser.add_argument("--executor", default="CeleryExecutor", choices=("CeleryExecutor", "LocalExecutor"))
    parser.add_argument("--no-warmup", action="store_true",
                        help="send the first batch at once, while the start-up scheduled run is on")
    args = parser.parse_args(argv)
    latencies: list[float] = []
    with tempfile.TemporaryDirectory(prefix="mlc-webhook-latency-") as home, \
            webhook_flow(Path(home), args.executor) as flow:
        if not args.no_warmup:
            idle = wait_idle(flow.stack.env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"], "mlc_demo_invoices")
            print(f"warm-up: the start-up scheduled run ended after {idle:.1f} s", flush=True)
        for n in range(args.batches):
            latencies.append(flow.wait_for_proposals(flow.send_batch(args.per_batch)))
            print(f"batch {n + 1}: {latencies[-1]:.1f} s", flush=True)
        runs = breakdown(flow.stack.env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"], "mlc_demo_invoices")
    ordered = sorted(latencies)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    print(f"webhook -> proposal over {len(ordered)} batches: p50 {statistics.median(ordered):.1f} s, "
          f"p95 {p95:.1f} s, max {ordered[-1]:.1f} s ({args.executor})")
    print("per DAG run (s): total = waiting to start + scheduler gaps + Celery pickup + task run")
    for r in runs:
        print(f"  {r['run_id'][:40]:40} {r['tasks']} tasks: {r['total']:6.1f} = {r['waiting_to_start']:5.1f} + "
              f"{r['scheduler_gaps']:5.1f} + {r['celery_pickup']:5.1f} + {r['task_run']:5.1f}")
    if runs:
        print("  sums: " + ", ".join(f"{k} {sum(r[k] for r in runs):.0f}" for k in
                                     ("waiting_to_start", "scheduler_gaps", "celery_pickup", "task_run")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
