"""Finalize task: control totals, then the watermark and the run record in one transaction."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from ml_connector.sync.context import TenantContext
from ml_connector.sync.errors import ControlTotalMismatch, require_own
from ml_connector.sync.flow import COUNT_KEYS
from ml_connector.sync.summary import count_line
from ml_connector.sync.totals import control_totals, describe_mismatch
from ml_connector.sync.values import iso
from ml_connector.sync.window import STREAM, Window, watermark_target

log = logging.getLogger(__name__)


def merge_counts(extracted: Mapping[str, Any], results: Sequence[Mapping[str, Any]]) -> dict[str, int]:
    counts = {k: int(v) for k, v in (extracted.get("counts") or {}).items()}
    results = [r for r in results if r]  # an XCom sequence of mapped results, read once
    for key in ("invoices", *COUNT_KEYS):
        counts[key] = sum(int(r.get(key, 0)) for r in results)
    return counts


def finalize(ctx: TenantContext, extracted: Mapping[str, Any], results: Sequence[Mapping[str, Any]] = (), *,
             stream: str = STREAM) -> dict[str, Any]:
    """Raises ControlTotalMismatch (after recording the run as failed) when IFS and Basware differ."""
    tenant_id, run_id, store = ctx.tenant_id, ctx.run_id, ctx.store
    if "tenant" in extracted:  # a summary of a run started before the DAG sent its tenant has none
        require_own(tenant_id, f"extract result of run {extracted.get('run_id')}", extracted["tenant"])
    counts = merge_counts(extracted, results)
    totals = control_totals(ctx.ifs, store, tenant_id, run_id, use_batch=ctx.tenant.ifs.write_mode == "batch")
    bad = [t for t in totals if not t["match"]]
    if bad:
        store.finish_run(tenant_id, run_id, "failed", counts=counts, control_totals=totals)
        raise ControlTotalMismatch(describe_mismatch(tenant_id, run_id, bad))
    window = Window.from_dict(dict(extracted["window"]))
    target, why = watermark_target(store, tenant_id, window, stream)
    state = "success" if not (counts.get("deferred") or counts.get("failed")) else "partial"
    with store.transaction() as tx:  # the watermark moves with the run record that justifies it
        moved = target is not None and tx.advance_watermark(tenant_id, stream, target, run_id=run_id)
        tx.finish_run(tenant_id, run_id, state, counts=counts, control_totals=totals)
    if target is not None and not moved:
        why = "watermark already at or past this window"
    after = store.get_watermark(tenant_id, stream)
    log.info("%s", run_summary(tenant_id, run_id, state, counts, totals, f"{iso(after)} ({why})"))
    return {"tenant": tenant_id, "run_id": run_id, "state": state, "counts": counts, "control_totals": totals,
            "watermark": {"before": iso(window.watermark_before), "after": iso(after), "moved": bool(moved),
                          "reason": why}}


# The counts a reader of the task log wants first, in this order; others follow when not zero.
_HEADLINE = ("invoices", "created", "updated", "reported", "quarantined", "failures_reported", "deferred", "failed",
             "suppliers_created")


def run_summary(tenant_id: str, run_id: str, state: str, counts: Mapping[str, Any],
                totals: Sequence[Mapping[str, Any]], watermark: str) -> str:
    """A few readable lines for the task log: the outcome, the counts, the control totals per company."""
    rest = {k: v for k, v in counts.items() if k not in _HEADLINE}
    lines = [f"Tenant {tenant_id} run {run_id}: {state.upper()}",
             f"  {count_line({k: counts.get(k, 0) for k in _HEADLINE}, _HEADLINE)}"]
    if any(rest.values()):
        lines.append(f"  extract: {count_line(rest)}")
    for t in totals:
        bw, ifs = t["basware"], t["ifs"]
        verdict = "match" if t["match"] else "MISMATCH"
        lines.append(f"  company {t['company'] or '-'} {t['currency'] or ''}: Basware {bw['count']} inv, gross "
                     f"{bw['gross']} | IFS {ifs['count']} inv, gross {ifs['gross']} | {verdict}")
    lines.append(f"  watermark {watermark}")
    return "\n".join(lines)
