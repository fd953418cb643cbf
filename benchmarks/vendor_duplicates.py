"""Duplicate checks at scale: new Basware vendors against an IFS with many suppliers.

IFS holds `--suppliers` suppliers; Basware gets `--vendors` new vendors, a tenth of them with an existing
supplier's VAT number and a tenth with an existing supplier's name (other case and legal form). One vendor
run creates the rest and holds those (and any seeded Basware-only vendor whose random name collides with
a supplier's in the same country). Prints the seconds, the counts, and the IFS requests the duplicate
look-ups made (one filtered query per supplier to create, whatever the number of suppliers); asserts nothing.

    .venv/bin/python benchmarks/vendor_duplicates.py [--suppliers 5000] [--vendors 200]
"""

from __future__ import annotations

import argparse
import logging
import tempfile
import time
from pathlib import Path
from typing import Any

from ml_connector.basware.client import BaswareClient
from ml_connector.config import load_config
from ml_connector.ifs.client import IfsClient
from ml_connector.state import StateStore
from ml_connector.sync.context import TenantContext
from ml_connector.sync.vendor_duplicates import find_candidates
from ml_connector.sync.vendors import sync_basware_to_ifs
from mlc_sandbox.runner import Sandbox, SandboxOptions


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--suppliers", type=int, default=5_000)
    parser.add_argument("--vendors", type=int, default=200)
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)  # each hold logs a warning; the figures are what counts here
    tenant = load_config().tenant("demo")
    with tempfile.TemporaryDirectory() as tmp, Sandbox(SandboxOptions(invoices=5, suppliers=args.suppliers)) as sb:
        ifs_suppliers = sb.dataset.ifs_suppliers
        company = sb.dataset.companies[0].basware_company_code
        new: list[dict[str, Any]] = []
        for n in range(args.vendors):
            twin = ifs_suppliers[(n * 7919) % len(ifs_suppliers)]
            name, vat, country = f"Benchmark Vendor {n} Oy", f"FI{n:09d}", "FI"
            if n % 10 == 0:
                vat, country = twin.vat_no, twin.country
            elif n % 10 == 1:
                name, country = twin.name.upper() + " GmbH", twin.country
            new.append({
                "externalCode": f"BENCH-{n}", "vendorCode": f"9{n:07d}", "name": name,
                "companies": [{"companyCode": company}], "identifiers": [{"id": vat, "schemeId": "VAT"}],
                "addresses": [{"countryId": country, "default": True}]})
            sb.basware.ctx.vendors.upsert(new[-1])
        creds = sb.credentials()
        bw, ic = creds["basware"], creds["ifs"]
        store = StateStore(f"sqlite:///{Path(tmp) / 'state.db'}")
        store.migrate()
        with BaswareClient(bw["base_url"], bw["client_id"], bw["client_secret"]) as basware, IfsClient(
                sb.ifs_url, ic["realm"], ic["client_id"], ic["client_secret"], fields=tenant.ifs.fields) as ifs:
            ctx = TenantContext(tenant=tenant, basware=basware, ifs=ifs, store=store, run_id="bench")
            sb.ifs.ctx.log.clear()
            started = time.perf_counter()
            counts = sync_basware_to_ifs(ctx)["counts"]
            seconds = time.perf_counter() - started
            run_ended = time.time()
            started = time.perf_counter()
            for vendor in new:  # the look-up alone, again, for the benchmark's own vendors
                find_candidates(ifs, vendor, exclude=vendor["vendorCode"])
            per_lookup = (time.perf_counter() - started) / max(len(new), 1)
        lookups = [r for r in sb.ifs.requests() if r["method"] == "GET" and "tolower" in r["query"]
                   and r["time"] < run_ended]
        checked = counts["created"] + counts["held"]
        print(f"{args.suppliers} IFS suppliers, {counts['read']} Basware vendors: {seconds:.1f}s; "
              f"created {counts['created']}, held {counts['held']}; {len(lookups)} duplicate look-ups for "
              f"{checked} suppliers to create ({len(lookups) / max(checked, 1):.2f} each); one look-up "
              f"{1000 * per_lookup:.0f} ms")
        store.dispose()


if __name__ == "__main__":
    main()
