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
import statistics
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
from floor import prepare, run_floor

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
    child = subprocess.Popen([sys.executable, __file__, "--serve", str(invoices), "--suppliers",
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
        inner: dict[str, set[str]] = {}
        for e in entries:
            if e.get("batch"):
                inner.setdefault(e["batch"], set()).add(e["method"])

        def kind(e: dict[str, Any], system: str = system, inner: dict[str, set[str]] = inner) -> str:
            name = endpoint_kind(system, e["method"], e["path"])
            if name.endswith("$batch"):
                name += " (reads)" if inner.get(e.get("request_id") or "") == {"GET"} else " (change set)"
            return name

        calls[system] = Counter(kind(e) for e in entries if not e.get("batch"))
        if clear:
            requests.delete(url, timeout=60).raise_for_status()
    return calls


def run_direct(creds: dict[str, Any], workdir: Path, max_batches: int | None = None) -> dict[str, Any]:
    """The sync functions as the DAG's tasks call them, each timed. `max_batches`: only the first
    batches go through the stages (extract and finalize still see every invoice)."""
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
        for ref in extracted["batches"][:max_batches]:
            result: dict[str, Any] = ref
            for stage in Stage:
                result = timed(stage, lambda r=result, s=stage: invoices.process_batch(ctx, staging, r, stage=s))
            results.append(result)
        outcome = timed("finalize", lambda: invoices.finalize(ctx, extracted, results))
    cpu = time.process_time() - cpu
    store.dispose()
    return {"seconds": sum(phases.values()), "cpu": cpu, "rss_mb": peak_rss_mb(), "phases": dict(phases),
            "counts": outcome["counts"], "batches": len(extracted["batches"]),
            "invoices": int(extracted["counts"]["documents"])}


def demo_concurrency() -> int:
    from ml_connector.config import DEFAULT_CONFIG, load_config

    return int(load_config(DEFAULT_CONFIG).tenant("demo").concurrency.ifs)


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


def one_run(kind: str, size: int, suppliers: int, latency_ms: float) -> dict[str, Any]:
    """One product or floor run in a fresh sandbox: seconds, invoices, HTTP calls by system."""
    with tempfile.TemporaryDirectory(prefix="mlc-bench-") as tmp, sandbox_process(size, suppliers, "none") as creds:
        if latency_ms:
            add_latency(creds, latency_ms)
        prepared = prepare(creds) if kind == "floor" else None
        http_calls(creds)  # start from an empty log
        if prepared is not None:
            result = run_floor(creds, prepared, demo_concurrency())
        else:
            result = run_direct(creds, Path(tmp))
        calls = http_calls(creds)
    return {**result, "calls": {s: sum(c.values()) for s, c in calls.items()}, "by_endpoint": calls}


def compare(size: int, rounds: int, suppliers: int, latency_ms: float) -> dict[str, list[dict[str, Any]]]:
    """Product and floor alternately, `rounds` each (the machine's load drifts: alternate, take medians)."""
    runs: dict[str, list[dict[str, Any]]] = {"product": [], "floor": []}
    for _ in range(rounds):
        for kind in runs:
            runs[kind].append(one_run(kind, size, suppliers, latency_ms))
    return runs


def per_s(run: dict[str, Any]) -> float:
    return float(run["invoices"]) / float(run["seconds"])


def per_invoice(run: dict[str, Any]) -> float:
    return sum(run["calls"].values()) / float(run["invoices"])


def print_comparison(size: int, runs: dict[str, list[dict[str, Any]]], latency_ms: float) -> None:
    label = f"{latency_ms:.0f} ms injected on every simulator request" if latency_ms else "no injected latency"
    print(f"\n### Product vs floor, {size:,} invoices, {label}, {len(runs['product'])} alternating runs each\n")
    print("| run | invoices/s (each run) | median invoices/s | calls/invoice (median) | Basware | IFS |")
    print("| --- | --- | ---: | ---: | ---: | ---: |")
    for kind, results in runs.items():
        rates = [per_s(r) for r in results]
        mid = results[rates.index(statistics.median_low(rates))]
        print(f"| {kind} | {', '.join(f'{x:.1f}' for x in rates)} | {statistics.median(rates):.1f} | "
              f"{statistics.median(per_invoice(r) for r in results):.2f} | "
              f"{mid['calls']['basware'] / mid['invoices']:.2f} | {mid['calls']['ifs'] / mid['invoices']:.2f} |")
    product, floor = runs["product"], runs["floor"]
    rate = statistics.median(per_s(r) for r in product) / statistics.median(per_s(r) for r in floor)
    calls = statistics.median(per_invoice(r) for r in product) / statistics.median(per_invoice(r) for r in floor)
    print(f"\nProduct ÷ floor: **invoices/s {rate:.0%}**, **calls per invoice {calls:.2f}x**")
    if latency_ms:
        concurrency = demo_concurrency()
        for kind, results in runs.items():
            cpi = statistics.median(per_invoice(r) for r in results)
            limit = concurrency / (cpi * latency_ms / 1000)
            got = statistics.median(per_s(r) for r in results)
            print(f"\n{kind}: **{got:.1f} invoices/s**; latency-bound limit = {concurrency} ÷ ({cpi:.2f} calls x "
                  f"{latency_ms / 1000:.3f} s) = {limit:.1f} invoices/s; **ratio {got / limit:.0%}**")
    print("\nCalls by endpoint (product, its median run):\n\n| system | endpoint | calls | per invoice |\n"
          "| --- | --- | ---: | ---: |")
    rates = [per_s(r) for r in product]
    mid = product[rates.index(statistics.median_low(rates))]
    for system in SYSTEMS:
        for kind, n in sorted(mid["by_endpoint"][system].items(), key=lambda kv: -kv[1]):
            print(f"| {system} | `{kind}` | {n:,} | {n / mid['invoices']:.3f} |")
    if "phases" in mid:
        print("\nPhases: " + ", ".join(f"{name} {secs:.1f} s" for name, secs in mid["phases"].items()))
    sys.stdout.flush()


def rss_child(size: int, suppliers: int, batches: int) -> None:
    """Child process: one run's peak RSS (ru_maxrss is a per-process high-water mark)."""
    with tempfile.TemporaryDirectory(prefix="mlc-rss-") as tmp, sandbox_process(size, suppliers, "none") as creds:
        started = time.perf_counter()
        result = run_direct(creds, Path(tmp), max_batches=batches or None)
    print(json.dumps({"rss_mb": peak_rss_mb(), "seconds": time.perf_counter() - started,
                      "invoices": result["invoices"], "batches": result["batches"],
                      "processed": min(result["batches"], batches or result["batches"]),
                      "counts": result["counts"]}))


def lookup_child(proposals: int, lookups: int) -> None:
    """Child process: IFS holding `proposals` proposals, then `lookups` page look-ups (40 refs each)."""
    from ml_connector.connection_settings import IfsConnection
    from ml_connector.sync.proposals import find_proposals_for
    from mlc_sandbox.runner import Sandbox, SandboxOptions

    with Sandbox(SandboxOptions(invoices=1, suppliers=10)) as sandbox:
        db, schema = sandbox.ifs.db, sandbox.ifs.schema
        names = schema.names
        for n in range(proposals):
            db.insert(schema.invoice, {"Company": "10", "InvoiceId": n + 1, names.invoice_supplier: "S1",
                                       "InvoiceNo": f"N{n}", names.external_ref: f"bw-{n:07d}"}, "bench")
        creds = sandbox.credentials()["ifs"]
        with IfsConnection(host=creds["base_url"], realm=creds["realm"], client_id=creds["client_id"],
                           client_secret=creds["client_secret"]).build_client() as ifs:
            find_proposals_for(ifs, [("10", "bw-0000000")], 40)  # token, connection: not timed
            started = time.perf_counter()
            found = 0
            for k in range(lookups):
                wanted = [("10", f"bw-{(k * 40 + j) * 7919 % proposals:07d}") for j in range(40)]
                found += sum(len(v) for v in find_proposals_for(ifs, wanted, 40).values())
            seconds = time.perf_counter() - started
    print(json.dumps({"ms_per_lookup": 1000 * seconds / lookups, "found": found, "asked": 40 * lookups}))


def child(args: list[str]) -> dict[str, Any]:
    out = subprocess.run([sys.executable, __file__, *args], check=True, capture_output=True, text=True,
                         timeout=3600)
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def print_rss(sizes: list[int], suppliers: int, batches: int) -> None:
    print(f"\n### Connector peak RSS (fresh process per size; extract, ledger and finalize see every invoice, "
          f"the first {batches} batches go through the four stages)\n")
    print("| invoices | batches staged | batches processed | seconds | peak RSS MB | vs smallest |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: |")
    first = None
    for size in sizes:
        r = child(["--rss-child", str(size), "--suppliers", str(suppliers), "--rss-batches", str(batches)])
        first = first or r["rss_mb"]
        print(f"| {r['invoices']:,} | {r['batches']} | {r['processed']} | {r['seconds']:.0f} | {r['rss_mb']:.0f} | "
              f"{r['rss_mb'] / first - 1:+.0%} |", flush=True)


def print_lookups(sizes: list[int], lookups: int) -> None:
    print(f"\n### IFS simulator: a page look-up (40 ExternalRefs) with N proposals held, {lookups} look-ups each\n")
    print("| proposals in IFS | ms per look-up | found / asked |\n| ---: | ---: | ---: |")
    for size in sizes:
        r = child(["--lookup-child", str(size), "--lookups", str(lookups)])
        print(f"| {size:,} | {r['ms_per_lookup']:.1f} | {r['found']} / {r['asked']} |", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=500, help="invoices per product and floor run")
    parser.add_argument("--rounds", type=int, default=3, help="alternating product/floor runs of each kind")
    parser.add_argument("--suppliers", type=int, default=300)
    parser.add_argument("--latency-ms", type=float, default=50.0, help="0 skips the latency runs")
    parser.add_argument("--latency-size", type=int, default=300)
    parser.add_argument("--latency-rounds", type=int, default=1)
    parser.add_argument("--rss-sizes", default="1000,10000,100000", help="empty skips the RSS runs")
    parser.add_argument("--rss-batches", type=int, default=5, help="batches processed in an RSS run (0: all)")
    parser.add_argument("--lookup-sizes", default="100,100000", help="empty skips the look-up runs")
    parser.add_argument("--lookups", type=int, default=50)
    parser.add_argument("--dag-size", type=int, default=0, help="invoices for a dag.test() run; 0 skips it")
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--rss-child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--lookup-child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--faults", default="none", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve is not None:
        serve(args.serve, args.suppliers, args.faults)
        return 0
    if args.rss_child is not None:
        rss_child(args.rss_child, args.suppliers, args.rss_batches)
        return 0
    if args.lookup_child is not None:
        lookup_child(args.lookup_child, args.lookups)
        return 0

    started = time.perf_counter()
    print(f"ml-connector invoice flow benchmark, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, Python "
          f"{platform.python_version()}, {os.cpu_count()} CPU(s), {platform.machine()}, load average "
          f"{os.getloadavg()[0]:.1f}; {args.suppliers} suppliers; demo tenant (concurrency "
          f"{demo_concurrency()} per system)")
    if args.size and args.rounds:
        print_comparison(args.size, compare(args.size, args.rounds, args.suppliers, 0.0), 0.0)
    if args.latency_ms and args.latency_size:
        print_comparison(args.latency_size, compare(args.latency_size, args.latency_rounds, args.suppliers,
                                                    args.latency_ms), args.latency_ms)
    if args.lookup_sizes:
        print_lookups([int(s) for s in args.lookup_sizes.split(",") if s], args.lookups)
    if args.rss_sizes:
        print_rss([int(s) for s in args.rss_sizes.split(",") if s], args.suppliers, args.rss_batches)
    if args.dag_size:
        with tempfile.TemporaryDirectory(prefix="mlc-bench-") as tmp, \
                sandbox_process(args.dag_size, args.suppliers, "none") as creds:
            http_calls(creds)
            sandbox_cpu = process_cpu(creds["pid"])
            result = run_dag(creds, Path(tmp) / "dag")
            result["sandbox_cpu"] = process_cpu(creds["pid"]) - sandbox_cpu
            report("Through the DAG (dag.test(), SQLite metadata DB)", args.dag_size, result, http_calls(creds))
    print(f"\n(benchmark took {time.perf_counter() - started:.0f} s; load average now {os.getloadavg()[0]:.1f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
