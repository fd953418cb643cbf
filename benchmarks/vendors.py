"""Vendor sync both ways over many suppliers: the first run, an idle run, and a run after N IFS edits.

Prints seconds for each run and what each direction did; asserts nothing.

    .venv/bin/python benchmarks/vendors.py [--suppliers 5000] [--edits 100]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from ml_connector.basware.client import BaswareClient
from ml_connector.config import load_config
from ml_connector.ifs.client import IfsClient
from ml_connector.state import StateStore
from ml_connector.sync.context import TenantContext
from ml_connector.sync.vendors import sync_basware_to_ifs
from ml_connector.sync.vendors_to_basware import sync_ifs_to_basware
from mlc_sandbox.runner import Sandbox, SandboxOptions


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--suppliers", type=int, default=5000)
    parser.add_argument("--edits", type=int, default=100)
    args = parser.parse_args()
    tenant = load_config().tenant("demo")
    names = tenant.ifs.fields.suppliers
    with tempfile.TemporaryDirectory() as tmp, Sandbox(SandboxOptions(invoices=10, suppliers=args.suppliers)) as sb:
        creds = sb.credentials()
        bw, ic = creds["basware"], creds["ifs"]
        store = StateStore(f"sqlite:///{Path(tmp) / 'state.db'}")
        store.migrate()
        in_both = [s.supplier_id for s in sb.dataset.suppliers if s.in_ifs and s.in_basware]
        print(f"{args.suppliers} suppliers: {len(sb.dataset.ifs_suppliers)} in IFS, "
              f"{len(sb.dataset.basware_vendors)} in Basware, {len(in_both)} in both")
        with BaswareClient(bw["base_url"], bw["client_id"], bw["client_secret"]) as basware, IfsClient(
                sb.ifs_url, ic["realm"], ic["client_id"], ic["client_secret"], fields=tenant.ifs.fields) as ifs:
            for run in ("first", "idle", "edits"):
                if run == "edits":
                    for code in in_both[:args.edits]:
                        sb.ifs.modify_as_other_user(names.entity_set, {names.supplier_id: code},
                                                    {names.name: f"Edited {code}"})
                ctx = TenantContext(tenant=tenant, basware=basware, ifs=ifs, store=store, run_id=f"bench-{run}")
                started = time.perf_counter()
                to_ifs = sync_basware_to_ifs(ctx)["counts"]
                middle = time.perf_counter()
                to_basware = sync_ifs_to_basware(ctx, sleep=lambda _s: None)["counts"]
                done = time.perf_counter()
                print(f"{run} run: Basware -> IFS {middle - started:.1f}s "
                      f"{ {k: v for k, v in to_ifs.items() if v} }; IFS -> Basware {done - middle:.1f}s "
                      f"{ {k: v for k, v in to_basware.items() if v} }")
        store.dispose()


if __name__ == "__main__":
    main()
