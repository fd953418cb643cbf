"""What the demo shows: runs, proposals per company, quarantine, control totals, as a dict and as text."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from ml_connector.cli.reports import short_reason
from ml_connector.cli.tables import render
from ml_connector.config import TenantConfig
from ml_connector.connection_check import CheckResult
from ml_connector.state import StateStore
from ml_connector.sync import invoices
from mlc_sandbox.runner import Sandbox

RUN_COUNTS = ("documents", "resumed", "created", "reported", "quarantined", "failures_reported",
              "suppliers_created", "deferred", "failed")


def build_summary(*, store: StateStore, tenant: TenantConfig, sandbox: Sandbox, checks: Sequence[CheckResult],
                  runs: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The connector's view (run records, quarantine) next to what the two simulators now hold."""
    run_rows = []
    for run in runs:
        record = store.get_run(tenant.tenant_id, run["run_id"])
        counts = (record.counts if record else None) or {}
        run_rows.append({**run, "connector_state": record.state if record else None,
                         **{k: int(counts.get(k, 0)) for k in RUN_COUNTS},
                         "control_totals": (record.control_totals if record else None) or []})
    quarantined = invoices.list_quarantine(store, tenant.tenant_id)
    options = sandbox.options
    ok = (all(c.ok for c in checks) and len(runs) == 2
          and all(r["dag_state"] == "success" and r["connector_state"] == "success" for r in run_rows)
          and not sandbox.ifs.duplicate_proposals())
    return {
        "ok": ok,
        "sandbox": {"seed": options.seed, "invoices": options.invoices, "faults": options.faults,
                    "basware": sandbox.basware_url, "ifs": sandbox.ifs_url},
        "dag_id": f"mlc_{tenant.tenant_id}_invoices",
        "checks": [{"system": c.system, "ok": c.ok, "message": c.message} for c in checks],
        "runs": run_rows,
        "proposals_by_company": _proposals_by_company(sandbox),
        "duplicate_proposals": len(sandbox.ifs.duplicate_proposals()),
        "basware_status": _basware_status(sandbox),
        "quarantine": {"count": len(quarantined),
                       "by_reason": dict(Counter(q["reason_code"] for q in quarantined).most_common()),
                       "entries": [{k: q[k] for k in ("invoice_id", "reason_code", "reason")}
                                   for q in quarantined]},
    }


def _proposals_by_company(sandbox: Sandbox) -> list[dict[str, Any]]:
    """What IFS holds now, read from the simulator itself, not from the connector's own account."""
    held = Counter(str(p["Company"]) for p in sandbox.ifs.proposals())
    return [{"company": c.ifs_company, "basware_company": c.basware_company_code, "name": c.name,
             "proposals": held.get(c.ifs_company, 0)} for c in sandbox.dataset.companies]


def _basware_status(sandbox: Sandbox) -> dict[str, int]:
    ids = (sandbox.dataset.invoice_id(i) for i in range(sandbox.options.invoices))
    return dict(Counter(sandbox.basware.document_state(i)["processingStatus"] for i in ids).most_common())


def render_summary(s: dict[str, Any]) -> str:
    sb = s["sandbox"]
    lines = [f"ml-connector demo: sandbox seed {sb['seed']}, {sb['invoices']} approved invoices "
             f"(fault profile '{sb['faults']}'), DAG {s['dag_id']} in the Airflow home {s['airflow_home']}"]
    lines += [f"  {'PASS' if c['ok'] else 'FAIL'} {c['system']}: {c['message']}" for c in s["checks"]]
    for n, run in enumerate(s["runs"], 1):
        lines.append(f"\nRun {n} ({run['run_id']}): {run['dag_state']} in {run['seconds']} s; "
                     f"{run['documents']} invoices read, {run['resumed']} resumed, "
                     f"{run['created']} proposals created, {run['reported']} reported to Basware, "
                     f"{run['quarantined']} quarantined, {run['suppliers_created']} suppliers created")
    lines.append("\nProposals in IFS Cloud by company (plant):")
    lines.append(render(("IFS", "BASWARE", "COMPANY", "PROPOSALS"),
                        [(p["company"], p["basware_company"], p["name"], p["proposals"])
                         for p in s["proposals_by_company"]], indent="  ", right=(3,)))
    lines.append(f"  duplicates: {s['duplicate_proposals']}; Basware documents now: "
                 + ", ".join(f"{n} {status}" for status, n in s["basware_status"].items()))
    q = s["quarantine"]
    lines.append(f"\nQuarantined: {q['count']} ("
                 + ", ".join(f"{n} {code}" for code, n in q["by_reason"].items()) + ")")
    lines += [f"  {e['invoice_id']}  {short_reason(e['invoice_id'], e['reason'])}" for e in q["entries"][:5]]
    if q["count"] > 5:
        lines.append(f"  ... and {q['count'] - 5} more")
    lines.append(f"  list them: AIRFLOW_HOME={s['airflow_home']} ml-connector quarantine list --tenant demo")
    if s["runs"]:
        lines.append("\nControl totals of run 1 (Basware sent / IFS holds):")
        lines.append(render(("COMPANY", "CUR", "COUNT", "NET", "TAX", "GROSS", "MATCH"),
                            [_totals_row(t) for t in s["runs"][0]["control_totals"]], indent="  ",
                            right=(2, 3, 4, 5)))
    seconds = s["seconds"]
    runs = " + ".join(str(r["seconds"]) for r in s["runs"]) or "none"
    lines.append(f"\nAirflow's own log: {s['log']}")
    lines.append(f"{'OK' if s['ok'] else 'FAILED'}: done in {seconds['total']} s "
                 f"(setup {seconds['setup']} s, runs {runs} s)")
    return "\n".join(lines)


def _totals_row(t: dict[str, Any]) -> tuple[Any, ...]:
    b, i = t["basware"], t["ifs"]

    def pair(key: str) -> str:  # one figure when both sides agree (the ledger keeps 4 decimals, IFS 2)
        return str(i[key]) if Decimal(str(b[key])) == Decimal(str(i[key])) else f"{b[key]} / {i[key]}"

    return (t["company"], t["currency"], pair("count"), pair("net"), pair("tax"), pair("gross"),
            "yes" if t["match"] else "NO")
