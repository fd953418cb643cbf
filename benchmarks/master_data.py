"""Master-data sync over many IFS values: the first run (everything sent), a daily run (read since the
watermark, nothing sent) and a full read (every value compared by hash, nothing sent).

Prints seconds for each run and how many records each read and sent; asserts nothing.

    .venv/bin/python benchmarks/master_data.py [--values 50000]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import date
from pathlib import Path

from ml_connector.basware.client import BaswareClient
from ml_connector.config import load_config
from ml_connector.ifs.client import IfsClient
from ml_connector.state import StateStore
from ml_connector.sync.context import TenantContext
from ml_connector.sync.master_data import sync_master_data
from mlc_sandbox.runner import Sandbox, SandboxOptions


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--values", type=int, default=50_000)
    args = parser.parse_args()
    tenant = load_config().tenant("demo")
    with tempfile.TemporaryDirectory() as tmp, Sandbox(SandboxOptions(invoices=10, suppliers=20)) as sb:
        db, schema = sb.ifs.db, sb.ifs.schema
        # Spread like the DAG test: accounts of company 20, cost centers and a generic list of company 10.
        shares = {("20", "A"): 0.3, ("10", "B"): 0.4, ("10", "C"): 0.3}
        for (company, letter), share in shares.items():
            value = sb.ifs.names.value_prop(letter)
            for n in range(int(args.values * share)):
                db.insert(schema.code_values[letter], {"Company": company, value: f"X{letter}{n:06d}",
                                                       "Description": f"Value {n}", "ValidFrom": date(2020, 1, 1),
                                                       "ValidUntil": date(2099, 12, 31)}, "SEED", history=False)
        creds = sb.credentials()
        bw, ic = creds["basware"], creds["ifs"]
        store = StateStore(f"sqlite:///{Path(tmp) / 'state.db'}")
        store.migrate()
        with BaswareClient(bw["base_url"], bw["client_id"], bw["client_secret"]) as basware, IfsClient(
                sb.ifs_url, ic["realm"], ic["client_id"], ic["client_secret"], fields=tenant.ifs.fields) as ifs:
            for run, full in (("first", False), ("daily", False), ("full-read", True)):
                ctx = TenantContext(tenant=tenant, basware=basware, ifs=ifs, store=store, run_id=f"bench-{run}")
                started = time.perf_counter()
                summary = sync_master_data(ctx, sleep=lambda _s: None, full=full)
                print(f"{run} run: {time.perf_counter() - started:.1f}s, {summary['counts']}, reads {summary['reads']}")
        store.dispose()


if __name__ == "__main__":
    main()
