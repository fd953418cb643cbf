"""Page 100,000 records through each client and show that memory stays flat: the generators hold one
page at a time, however many records go by.

The simulators run in a child process, so the figures are the client's alone: records/s, the
tracemalloc peak of the paging loop, and this process's RSS (VmRSS, and its high-water mark VmHWM,
from /proc/self/status). Prints figures; asserts nothing. See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

MB = 1024 * 1024


def serve(invoices: int, suppliers: int) -> None:
    """Child process: run the sandbox until the parent closes our stdin."""
    from mlc_sandbox.runner import Sandbox, SandboxOptions

    with Sandbox(SandboxOptions(invoices=invoices, suppliers=suppliers)) as sandbox:
        print(json.dumps(sandbox.credentials()), flush=True)
        sys.stdin.read()


def proc_status_mb(field: str) -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024  # kB
    return float("nan")


def measure(name: str, records: Iterator[Any], checkpoints: list[int], trace: bool) -> None:
    gc.collect()
    rss_before = proc_status_mb("VmRSS")
    if trace:
        tracemalloc.start()
    print(f"\n{name}")
    print(f"{'records':>9} {'seconds':>8} {'records/s':>10} {'traced now MB':>14} {'traced peak MB':>15} "
          f"{'VmRSS MB':>9} {'VmHWM MB':>9}")
    started = time.perf_counter()
    count = 0
    peaks: list[float] = []
    targets = iter(checkpoints)
    target = next(targets, None)
    for _record in records:
        count += 1
        if count == target:
            elapsed = time.perf_counter() - started
            now, peak = tracemalloc.get_traced_memory() if trace else (0, 0)
            peaks.append(peak / MB)
            traced = f"{now / MB:>14.2f} {peak / MB:>15.2f}" if trace else f"{'-':>14} {'-':>15}"
            print(f"{count:>9,} {elapsed:>8.1f} {count / elapsed:>10,.0f} {traced} "
                  f"{proc_status_mb('VmRSS'):>9.1f} {proc_status_mb('VmHWM'):>9.1f}")
            target = next(targets, None)
    elapsed = time.perf_counter() - started
    if trace:
        tracemalloc.stop()
    print(f"  {count:,} records in {elapsed:.1f}s ({count / elapsed:,.0f}/s); "
          f"RSS {rss_before:.1f} -> {proc_status_mb('VmRSS'):.1f} MB")
    if trace and len(peaks) > 1:
        growth = peaks[-1] - peaks[0]
        verdict = "flat" if growth < max(1.0, 0.25 * peaks[0]) else "GROWING"
        print(f"  tracemalloc peak {peaks[0]:.2f} MB at {checkpoints[0]:,} -> {peaks[-1]:.2f} MB at "
              f"{checkpoints[len(peaks) - 1]:,}: {verdict} (one page in memory at a time)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invoices", type=int, default=100_000)
    parser.add_argument("--suppliers", type=int, default=100_000)
    parser.add_argument("--checkpoints", default="10000,50000,100000")
    parser.add_argument("--no-tracemalloc", action="store_true", help="throughput without tracing overhead")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.invoices, args.suppliers)
        return 0

    checkpoints = [int(c) for c in args.checkpoints.split(",")]
    print(f"ml-connector paging benchmark, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, Python "
          f"{platform.python_version()}, {os.cpu_count()} CPU(s), {platform.machine()}")
    started = time.perf_counter()
    child = subprocess.Popen([sys.executable, __file__, "--serve", "--invoices", str(args.invoices),
                              "--suppliers", str(args.suppliers)], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None
        creds = json.loads(child.stdout.readline())
        print(f"sandbox up in {time.perf_counter() - started:.1f}s: {args.invoices:,} invoices, "
              f"{args.suppliers:,} IFS suppliers (separate process)")
        run(creds, checkpoints, trace=not args.no_tracemalloc)
    finally:
        if child.stdin:
            child.stdin.close()
        child.wait(timeout=30)
    return 0


def run(creds: dict[str, Any], checkpoints: list[int], trace: bool) -> None:
    from ml_connector.basware.client import BaswareClient
    from ml_connector.ifs.client import IfsClient
    from ml_connector.ifs.odata import Query

    bw, ifs = creds["basware"], creds["ifs"]
    with BaswareClient(bw["base_url"], bw["client_id"], bw["client_secret"]) as basware:
        measure("Basware accountingDocuments (continuation header, 100/page, 302 to a pre-signed page)",
                basware.documents.iter(page_size=100), checkpoints, trace)
    with IfsClient(ifs["base_url"], ifs["realm"], ifs["client_id"], ifs["client_secret"]) as client:
        measure("IFS SupplierInfoGeneralSet (@odata.nextLink, server page limit 5000)",
                client.reads.iter("SupplierHandling", "SupplierInfoGeneralSet",
                                  Query(orderby=("SupplierId",))), checkpoints, trace)


if __name__ == "__main__":
    sys.exit(main())
