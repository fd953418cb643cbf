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
