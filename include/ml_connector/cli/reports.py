"""Text shown by `ml-connector quarantine list` and `replay` (the JSON forms are the dicts themselves)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ml_connector.cli.tables import render


def _when(iso: str | None) -> str:
    return (iso or "")[:19].replace("T", " ")


def short_reason(invoice_id: str, reason: str | None) -> str:
    """The reason without its "invoice <id> (<number>): " lead-in, for a table that shows the id anyway."""
    text = reason or ""
    prefix = f"invoice {invoice_id} "
    if text.startswith(prefix):
        text = text[len(prefix):]
        if text.startswith("(") and "): " in text:
            number, _, rest = text[1:].partition("): ")
            text = f"{number}: {rest}"
    return text


def quarantine_table(tenant_id: str, entries: Sequence[dict[str, Any]]) -> str:
    if not entries:
        return f"Tenant {tenant_id}: no invoices in quarantine"
    rows = [(e["invoice_id"], e["reason_code"], e["ledger_status"], _when(e["first_seen"]),
             _when(e["last_seen"]), e["occurrences"], e["replay_count"],
             short_reason(e["invoice_id"], e["reason"])) for e in entries]
    table = render(("INVOICE", "REASON CODE", "LEDGER STATUS", "FIRST SEEN (UTC)", "LAST SEEN (UTC)", "SEEN",
                    "REPLAYS", "REASON"), rows, right=(5, 6))
    return f"Tenant {tenant_id}: {len(entries)} invoice(s) in quarantine\n{table}"


def replay_lines(result: dict[str, Any]) -> str:
    results = result["results"]
    if not results:
        return f"Tenant {result['tenant']}: nothing in quarantine to replay"
    table = render(("INVOICE", "OUTCOME", "MESSAGE"),
                   [(invoice_id, r["outcome"], r["message"]) for invoice_id, r in results.items()],
                   indent="  ")
    counts = ", ".join(f"{n} {outcome}" for outcome, n in sorted(result["counts"].items()))
    return f"Replay for tenant {result['tenant']} (run {result['run_id']}): {counts}\n{table}"


def trace_lines(trace: Any) -> str:
    """One invoice's story (a sync.trace.InvoiceTrace) as text: the facts, the steps, the next step."""
    number = f" ({trace.invoice_number})" if trace.invoice_number else ""
    amounts = trace.amounts
    facts = [
        f"Invoice {trace.invoice_id}{number}, tenant {trace.tenant}: {trace.status}",
        f"  Basware company {trace.company_code or '-'} -> IFS company {trace.ifs_company or '-'}; "
        f"IFS proposal {trace.ifs_invoice_key or '-'}; external code {trace.external_code or '-'}",
        f"  amounts {amounts['currency'] or ''} net {amounts['net']} tax {amounts['tax']} gross {amounts['gross']}; "
        f"failed attempts {trace.attempts}",
    ]
    if trace.quarantine:
        q = trace.quarantine
        state = f"resolved {_when(q['resolved_at'])}" if q["resolved_at"] else "open"
        facts.append(f"  quarantine ({state}): {q['reason_code']}: {short_reason(trace.invoice_id, q['reason'])} "
                     f"(seen {q['occurrences']}x, replayed {q['replays']}x)")
    rows = [(_when(s.at), s.event, s.run_id or "", ", ".join(f"{k}={v}" for k, v in s.detail.items()))
            for s in trace.steps]
    steps = render(("WHEN (UTC)", "STEP", "RUN", "DETAIL"), rows, indent="  ") if rows else "  (no steps recorded)"
    calls = [(_when(c["at"]), c["call"], c["state"], c["client_request_id"] or "-", c["basware_request_id"] or "-")
             for c in trace.basware_requests]
    requests = ["  Basware requests:", render(("WHEN (UTC)", "CALL", "STATE", "OUR REQUEST ID", "BASWARE REQUEST ID"),
                                              calls, indent="  ")] if calls else []
    return "\n".join([*facts, steps, *requests, f"Next: {trace.next_step}"])
