"""The invoice flow end to end: invoices per second and HTTP calls per invoice, by system and endpoint.

For each size, a fresh sandbox in a child process (so the figures are the connector's CPU, not the
simulators') and a fresh SQLite state store; the flow runs as the DAG runs it: extract, then each
staged batch through map_dimensions, reconcile_vendors, upsert_proposals and report_back, then
finalize. Calls are counted from the simulators' own request logs. With --dag-size, the same for
one size through the real DAG with dag.test() in a throwaway Airflow home (SQLite). Prints
figures; asserts nothing. See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import resource
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests

SYSTEMS = ("basware", "ifs")
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
KEYS = re.compile(r"\([^)]*\)")  # OData keys, e.g. (Company='10',InvoiceId=123)
IFS_PREFIX = "/main/ifsapplications/projection/v1/"


def serve(invoices: int, suppliers: int, faults: str) -> None:
    """Child process: run the sandbox until the parent closes our stdin."""
    from mlc_sandbox.runner import Sandbox, SandboxOptions

    with Sandbox(SandboxOptions(invoices=invoices, suppliers=suppliers, faults=faults)) as sandbox:
        print(json.dumps(sandbox.credentials()), flush=True)
        sys.stdin.read()


@contextmanager
def sandbox_process(invoices: int, suppliers: int, faults: str) -> Iterator[dict[str, Any]]:
    child = subprocess.Popen([sys.executable, __file__, "--serve", "--sizes", str(invoices), "--suppliers",
                              str(suppliers), "--faults", faults], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert child.stdout is not None
        creds = json.loads(child.stdout.readline())
        yield {**creds, "pid": child.pid}
    finally:
        if child.stdin:
            child.stdin.close()
        child.wait(timeout=30)


def process_cpu(pid: int) -> float:
    """User + system CPU seconds of a process so far, from /proc (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def endpoint_kind(system: str, method: str, path: str) -> str:
    """`POST accountingDocuments/{id}/acknowledge`, `GET ManSuppInvoiceSet(…)/PostingRows`, ..."""
    if "token" in path.rsplit("/", 1)[-1]:
        return f"{method} token"
    if path.startswith("/_presigned/"):
        return "GET pre-signed page (302 target)"
    path = path.removeprefix(IFS_PREFIX) if system == "ifs" else path.removeprefix("/v1/")
    path = re.sub(r"^[A-Za-z]+\.svc/", "", path)  # the projection: the entity set names the endpoint
    path = KEYS.sub("(…)", UUID.sub("{id}", path))
    return f"{method} {path}"


def peak_rss_mb() -> float:
    """This process's peak resident set so far (Linux reports ru_maxrss in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def add_latency(creds: dict[str, Any], latency_ms: float) -> None:
    """A `slow` fault on every request of both simulators: the latency of a real API, simulated."""
    for system in SYSTEMS:
        rule = {"kind": "slow", "system": system, "delay": latency_ms / 1000, "probability": 1.0}
        requests.post(f"{creds[system]['base_url']}/_sandbox/faults", json=rule, timeout=30).raise_for_status()


def http_calls(creds: dict[str, Any], clear: bool = True) -> dict[str, Counter[str]]:
    calls: dict[str, Counter[str]] = {}
    for system in SYSTEMS:
        url = f"{creds[system]['base_url']}/_sandbox/{system}/requests"
        entries = requests.get(url, timeout=60).json()
        # Requests inside a $batch are logged too (with `batch` set): parts of one HTTP call, not calls.
        calls[system] = Counter(endpoint_kind(system, e["method"], e["path"]) for e in entries if not e.get("batch"))
        if clear:
            requests.delete(url, timeout=60).raise_for_status()
    return calls


def run_direct(creds: dict[str, Any], workdir: Path) -> dict[str, Any]:
    """The sync functions as the DAG's tasks call them, each timed."""
    from ml_connector.config import DEFAULT_CONFIG, load_config
    from ml_connector.connection_settings import BaswareConnection, IfsConnection
    from ml_connector.state import StateStore
    from ml_connector.sync import invoices
    from ml_connector.sync.context import TenantContext
    from ml_connector.sync.flow import Stage

    config = load_config(DEFAULT_CONFIG)
    tenant = config.tenant("demo")
    bw, ifs = creds["basware"], creds["ifs"]
    basware = BaswareConnection(region="sandbox", base_url=bw["base_url"], client_id=bw["client_id"],
                                client_secret=bw["client_secret"]).build_client(config.region_map())
    ifs_client = IfsConnection(host=ifs["base_url"], realm=ifs["realm"], client_id=ifs["client_id"],
                               client_secret=ifs["client_secret"]).build_client()
    store = StateStore(f"sqlite:///{workdir / 'state.db'}")
    store.migrate()
    phases: Counter[str] = Counter()

    def timed(name: str, fn: Callable[[], Any]) -> Any:
        started = time.perf_counter()
        try:
            return fn()
        finally:
            phases[name] += time.perf_counter() - started

    run_id = "bench-1"
    staging = workdir / "staging"
    ctx = TenantContext(tenant=tenant, basware=basware, ifs=ifs_client, store=store, run_id=run_id)
    cpu = time.process_time()
    with basware, ifs_client:
        extracted = timed("extract", lambda: invoices.extract(ctx, staging))
        results = []
        for ref in extracted["batches"]:
            result: dict[str, Any] = ref
            for stage in Stage:
                result = timed(stage, lambda r=result, s=stage: invoices.process_batch(ctx, staging, r, stage=s))
            results.append(result)
        outcome = timed("finalize", lambda: invoices.finalize(ctx, extracted, results))
    cpu = time.process_time() - cpu
    store.dispose()
    return {"seconds": sum(phases.values()), "cpu": cpu, "rss_mb": peak_rss_mb(), "phases": dict(phases),
            "counts": outcome["counts"], "batches": len(extracted["batches"])}


def demo_concurrency() -> int:
    from ml_connector.config import DEFAULT_CONFIG, load_config

    return load_config(DEFAULT_CONFIG).tenant("demo").concurrency.ifs


def run_dag(creds: dict[str, Any], workdir: Path) -> dict[str, Any]:
    """One real DAG run with dag.test() in a throwaway Airflow home; connections as AIRFLOW_CONN_*."""
    from ml_connector.cli.stdio import output_to_file
    from mlc_sandbox.demo.home import DemoHome

    home = DemoHome(workdir / "airflow")
    home.configure_airflow(())
    bw, ifs = creds["basware"], creds["ifs"]
    conns = {
        "MLC_DEMO_BASWARE": {"conn_type": "basware", "host": bw["base_url"], "login": bw["client_id"],
                             "password": bw["client_secret"], "extra": {"region": "sandbox"}},
        "MLC_DEMO_IFS": {"conn_type": "ifscloud", "host": ifs["base_url"], "login": ifs["client_id"],
                         "password": ifs["client_secret"], "extra": {"realm": ifs["realm"]}},
        "ML_CONNECTOR_STATE": {"conn_type": "sqlite", "host": str(home.state_db)},
    }
    os.environ.update({f"AIRFLOW_CONN_{name}": json.dumps(conn) for name, conn in conns.items()})
    home.migrate_metadata_db()
    with output_to_file(home.log_file):
        from ml_connector.airflow.dags.invoices import build_invoice_dag
        from ml_connector.config import DEFAULT_CONFIG, load_config
        from ml_connector.state import StateStore

        config = load_config(DEFAULT_CONFIG)
        dag = build_invoice_dag(config.tenant("demo"), config.region_map(), retries=0)
        started, cpu = time.perf_counter(), time.process_time()
        run = dag.test()
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        store = StateStore(f"sqlite:///{home.state_db}")
        record = store.get_run("demo", run.run_id)
        store.dispose()
    counts = (record.counts if record else None) or {}
    return {"seconds": seconds, "cpu": cpu, "state": str(run.state), "counts": counts, "phases": {}}


def report(label: str, size: int, result: dict[str, Any], calls: dict[str, Counter[str]]) -> None:
    counts = result["counts"]
    per_s = size / result["seconds"]
    total = sum(sum(c.values()) for c in calls.values())
    print(f"\n### {label}, {size:,} invoices\n")
    print(f"{size:,} invoices in {result['seconds']:.1f} s: **{per_s:,.1f} invoices/s**; "
          f"{counts.get('created', 0)} created, {counts.get('quarantined', 0)} quarantined, "
          f"{counts.get('suppliers_created', 0)} suppliers created; {total:,} HTTP calls = "
          f"**{total / size:.2f} per invoice**"
          + (f"; run state {result['state']}" if "state" in result else "")
          + f"; CPU: connector process {result['cpu']:.1f} s, simulators' process "
          f"{result['sandbox_cpu']:.1f} s, of {result['seconds']:.1f} s wall"
          + (f"; connector peak RSS so far {result['rss_mb']:.0f} MB" if "rss_mb" in result else ""))
    latency = result.get("latency_ms")
    if latency:
        concurrency = result["concurrency"]
        limit = concurrency / (total / size * latency / 1000)
        print(f"\nWith {latency:.0f} ms injected on every simulator request and {concurrency} requests in "
              f"flight per system: **{per_s:.1f} invoices/s**; latency-bound limit = {concurrency} ÷ "
              f"({total / size:.2f} calls x {latency / 1000:.3f} s) = {limit:.1f} invoices/s; "
              f"**ratio {per_s / limit:.0%}**")
    if result["phases"]:
        phases = ", ".join(f"{name} {secs:.1f} s" for name, secs in result["phases"].items())
        print(f"\nPhases ({result.get('batches', '?')} batch(es)): {phases}")
    print("\n| system | endpoint | calls | per invoice |\n| --- | --- | ---: | ---: |")
    for system in SYSTEMS:
        for kind, n in sorted(calls[system].items(), key=lambda kv: -kv[1]):
            print(f"| {system} | `{kind}` | {n:,} | {n / size:.3f} |")
        n = sum(calls[system].values())
        print(f"| **{system}** | **all** | **{n:,}** | **{n / size:.2f}** |")
    sys.stdout.flush()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="500,2000", help="invoice counts for the direct runs")
    parser.add_argument("--dag-size", type=int, default=500,
                        help="invoices for the dag.test() run; 0 skips it")
    parser.add_argument("--suppliers", type=int, default=300)
    parser.add_argument("--faults", default="none", help="sandbox fault profile, e.g. invalid-data or flaky")
    parser.add_argument("--latency-ms", type=float, default=50.0,
                        help="latency injected on every simulator request for the latency run; 0 skips it")
    parser.add_argument("--latency-size", type=int, default=300, help="invoices for the latency run")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(int(args.sizes), args.suppliers, args.faults)
        return 0

    print(f"ml-connector invoice flow benchmark, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, Python "
          f"{platform.python_version()}, {os.cpu_count()} CPU(s), {platform.machine()}; "
          f"{args.suppliers} suppliers, fault profile '{args.faults}'")
    with tempfile.TemporaryDirectory(prefix="mlc-bench-") as tmp:
        for size in [int(s) for s in args.sizes.split(",") if s]:
            workdir = Path(tmp) / f"direct-{size}"
            workdir.mkdir()
            with sandbox_process(size, args.suppliers, args.faults) as creds:
                http_calls(creds)  # start from an empty log
                sandbox_cpu = process_cpu(creds["pid"])
                result = run_direct(creds, workdir)
                result["sandbox_cpu"] = process_cpu(creds["pid"]) - sandbox_cpu
                report("Sync functions (extract, 4 stages per batch, finalize)", size, result,
                       http_calls(creds))
        if args.latency_ms and args.latency_size:
            workdir = Path(tmp) / "latency"
            workdir.mkdir()
            with sandbox_process(args.latency_size, args.suppliers, args.faults) as creds:
                add_latency(creds, args.latency_ms)
                http_calls(creds)
                sandbox_cpu = process_cpu(creds["pid"])
                result = run_direct(creds, workdir)
                result["sandbox_cpu"] = process_cpu(creds["pid"]) - sandbox_cpu
                result["latency_ms"] = args.latency_ms
                result["concurrency"] = demo_concurrency()
                report(f"Sync functions with {args.latency_ms:.0f} ms latency", args.latency_size, result,
                       http_calls(creds))
        if args.dag_size:
            with sandbox_process(args.dag_size, args.suppliers, args.faults) as creds:
                http_calls(creds)
                sandbox_cpu = process_cpu(creds["pid"])
                result = run_dag(creds, Path(tmp) / "dag")
                result["sandbox_cpu"] = process_cpu(creds["pid"]) - sandbox_cpu
                report("Through the DAG (dag.test(), SQLite metadata DB)", args.dag_size, result,
                       http_calls(creds))
    return 0


if __name__ == "__main__":
    sys.exit(main())
