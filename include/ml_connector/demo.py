"""`ml-connector demo`: the sandbox plus the connector, end to end, on one machine with no Docker."""

from __future__ import annotations

import json
import time
from collections import Counter
from itertools import islice
from typing import Any

from ml_connector.config import DEFAULT_REGIONS
from ml_connector.connections import BaswareConnection, IfsConnection
from ml_connector.connectivity import check_basware, check_ifs
from ml_connector.ifs.odata import Query
from ml_connector.sandbox.runner import Sandbox, SandboxOptions


def smoke(sandbox: Sandbox) -> dict[str, Any]:
    """Token, one page of invoices and one IFS read through the real clients."""
    creds = sandbox.credentials()
    basware_conn = BaswareConnection(region="sandbox", base_url=sandbox.basware_url,
                                     client_id=creds["basware"]["client_id"],
                                     client_secret=creds["basware"]["client_secret"])
    ifs_conn = IfsConnection(host=sandbox.ifs_url, realm=creds["ifs"]["realm"],
                             client_id=creds["ifs"]["client_id"], client_secret=creds["ifs"]["client_secret"])
    with basware_conn.build_client(DEFAULT_REGIONS) as basware, ifs_conn.build_client() as ifs:
        checks = [check_basware(basware), check_ifs(ifs, [c.ifs_company for c in sandbox.dataset.companies])]
        page = list(islice(basware.iter_accounting_documents(page_size=100), 100))
        companies = ifs.entities.companies
        ifs_companies = [row["Company"] for row in ifs.iter_entities(companies.projection, companies.entity_set,
                                                                     Query(orderby=("Company",)))]
        suppliers = ifs.entities.suppliers
        first_suppliers = list(ifs.iter_entities(suppliers.projection, suppliers.entity_set,
                                                 Query(top=5, orderby=("SupplierId",))))
    return {
        "checks": [{"system": c.system, "ok": c.ok, "message": c.message} for c in checks],
        "basware_first_page": {
            "documents": len(page),
            "by_company": dict(Counter(doc["companyCode"] for doc in page)),
            "gross_total": str(sum(float(doc["grossSum"]) for doc in page if _is_number(doc.get("grossSum")))),
        },
        "ifs": {"companies": ifs_companies, "first_suppliers": [s["SupplierId"] for s in first_suppliers]},
    }


def _is_number(value: Any) -> bool:
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return True


def run_demo(*, json_output: bool = False, invoices: int = 200, seed: int = 42) -> int:
    started = time.perf_counter()
    with Sandbox(SandboxOptions(seed=seed, invoices=invoices)) as sandbox:
        summary = smoke(sandbox)
        summary["sandbox"] = {"basware": sandbox.basware_url, "ifs": sandbox.ifs_url,
                              "invoices": invoices, "seed": seed}
    summary["seconds"] = round(time.perf_counter() - started, 2)
    ok = all(check["ok"] for check in summary["checks"])
    if json_output:
        print(json.dumps(summary, indent=2))
    else:
        print(f"ml-connector demo against the sandbox (seed {seed}, {invoices} approved invoices)")
        for check in summary["checks"]:
            print(f"  {'PASS' if check['ok'] else 'FAIL'} {check['system']}: {check['message']}")
        page = summary["basware_first_page"]
        print(f"  Basware: first page holds {page['documents']} approved invoices, by company "
              f"{page['by_company']}")
        print(f"  IFS Cloud: companies {', '.join(summary['ifs']['companies'])}; first suppliers "
              f"{', '.join(summary['ifs']['first_suppliers'])}")
        print(f"  done in {summary['seconds']} s")
    return 0 if ok else 1
