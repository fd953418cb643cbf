"""A run's outcome in the words users ask in: moved, quarantined, deferred; and the invoices behind them.

What the run's asset event carries and what the quarantine and failure alerts name: tenant, invoice id
and number, IFS proposal key, and the Basware request ids of the last call about each invoice.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ml_connector.state import StateStore
from ml_connector.sync.errors import RECORD_TYPE

SHOWN = 20  # invoices named in an alert or an asset event; the rest are in `quarantine list`
REASON_MAX = 200


def outcome_figures(outcome: Mapping[str, Any]) -> dict[str, Any]:
    """The counts that tell a run's story at a glance (an asset event's extra: small, no secret)."""
    counts = outcome.get("counts") or {}
    totals = outcome.get("control_totals") or []
    return {"tenant": outcome.get("tenant"), "run_id": outcome.get("run_id"), "state": outcome.get("state"),
            "invoices": int(counts.get("invoices", 0)), "moved": int(counts.get("reported", 0)),
            "quarantined": int(counts.get("quarantined", 0)), "deferred": int(counts.get("deferred", 0)),
            "failed": int(counts.get("failed", 0)), "created": int(counts.get("created", 0)),
            "control_totals": "match" if all(t.get("match") for t in totals) else "MISMATCH"}


def quarantined_in_run(store: StateStore, tenant_id: str, run_id: str, limit: int = SHOWN) -> list[dict[str, Any]]:
    """The open quarantine entries this run put (or put again) there, oldest first, at most `limit`."""
    held = [q for q in store.list_open(tenant_id, RECORD_TYPE) if q.run_id == run_id][:limit]
    entries = store.get_invoices(tenant_id, [q.record_id for q in held])
    out = []
    for q in held:
        entry = entries.get(q.record_id)
        reason = q.reason or ""
        out.append({"invoice_id": q.record_id, "invoice_number": entry.invoice_number if entry else None,
                    "reason_code": q.reason_code,
                    "reason": reason if len(reason) <= REASON_MAX else reason[:REASON_MAX - 3] + "...",
                    **_last_basware_call(store, tenant_id, q.record_id)})
    return out


def held_invoices(store: StateStore, tenant_id: str, invoice_ids: Iterable[str],
                  limit: int = SHOWN) -> list[dict[str, Any]]:
    """Invoices a run deferred or failed: where each stands and its last error (which names the request)."""
    ids = sorted(set(invoice_ids))[:limit]
    entries = store.get_invoices(tenant_id, ids)
    return [{"invoice_id": i, "invoice_number": e.invoice_number, "status": e.status.value,
             "ifs_invoice_key": e.ifs_invoice_key, "last_error": (e.last_error or "")[:REASON_MAX] or None,
             **_last_basware_call(store, tenant_id, i)}
            for i in ids if (e := entries.get(i)) is not None]


def _last_basware_call(store: StateStore, tenant_id: str, invoice_id: str) -> dict[str, Any]:
    for event in reversed(store.invoice_story(tenant_id, invoice_id)):
        detail = event.detail or {}
        if detail.get("basware_state"):
            return {"basware_state": detail["basware_state"], "client_request_id": detail.get("client_request_id"),
                    "basware_request_id": detail.get("basware_request_id")}
    return {}
