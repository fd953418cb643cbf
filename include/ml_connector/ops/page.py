"""The operations page as server-rendered HTML: one section per tenant, one invoice's trace on demand.

Everything shown is escaped here. Links and forms are relative to the page, so the page works under
whatever prefix the API server mounts it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from html import escape
from typing import Any
from urllib.parse import quote

from ml_connector.ops.overview import RUN_COUNTS, TenantOverview
from ml_connector.sync.trace import InvoiceTrace

STYLE = """
body{font-family:system-ui,sans-serif;margin:0;padding:16px 24px;color:#1a202c;background:#fff;font-size:14px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:18px;margin:28px 0 8px;border-bottom:2px solid #017cee}
h3{font-size:15px;margin:16px 0 6px}table{border-collapse:collapse;margin:4px 0 8px}
td,th{border:1px solid #cbd5e0;padding:3px 8px;text-align:left;vertical-align:top}th{background:#edf2f7}
.num{text-align:right}.muted{color:#718096}.ok,.success{color:#2f855a;font-weight:600}
.fail,.failed{color:#c53030;font-weight:600}.running,.queued,.partial{color:#b7791f;font-weight:600}
.figures{display:flex;gap:10px;flex-wrap:wrap}.figure{border:1px solid #cbd5e0;border-radius:6px;padding:6px 12px}
.figure b{font-size:22px;display:block}nav.tenants a{margin-right:10px}
.notice{background:#ebf8ff;border:1px solid #90cdf4;padding:8px;margin:8px 0}
button{cursor:pointer}form.inline{display:inline;margin:0}.t{white-space:nowrap}.reason{display:inline-block;min-width:240px}
"""


# What each replay outcome (sync/replay.py) means for the operator, shown after a replay from the page.
REPLAY_OUTCOMES = {
    "transferred": "transferred: its proposal is in IFS and the transfer is reported to Basware",
    "awaiting_basware": "not replayed: Basware shows it TransferFailed; the AP team must re-send it for transfer "
                        "in Basware first (the fixed mapping then applies)",
    "quarantined_again": "quarantined again: the reason below still holds",
    "deferred": "deferred: a transient error; the next run resumes it",
    "not_in_basware": "not replayed: Basware no longer has this document",
    "not_replayable": "not replayed: the document cannot be transferred as it is (see its trace)",
    "not_quarantined": "not replayed: it is not in quarantine (any more)",
    "config_error": "not replayed: the tenant's connections are missing or invalid (see the API server log)",
    "failed": "failed: see the trace below and the API server log",
}


def replay_notice(tenant: str, invoice_id: str, outcome: str) -> str:
    return f"Replay of invoice {invoice_id} (tenant {tenant}): {REPLAY_OUTCOMES.get(outcome, 'outcome ' + outcome)}"


@dataclass(frozen=True)
class TraceView:
    tenant: str
    query: str
    traces: Sequence[InvoiceTrace]


def _e(value: object) -> str:
    return escape("" if value is None else str(value))


def _when(value: str | None) -> str:
    return f'<span class="t">{_e((value or "-")[:19].replace("T", " "))}</span>'


def _state(state: str | None) -> str:
    return f'<span class="{_e(state)}">{_e(state)}</span>'


def _table(headers: Sequence[str], rows: Iterable[Sequence[str]], empty: str, *, css_id: str = "") -> str:
    """`rows` hold HTML already escaped."""
    body = "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in rows)
    if not body:
        return f'<p class="muted">{_e(empty)}</p>'
    head = "".join(f"<th>{_e(h)}</th>" for h in headers)
    ident = f' id="{_e(css_id)}"' if css_id else ""
    return f"<table{ident}><tr>{head}</tr>{body}</table>"


def render_page(overviews: Sequence[TenantOverview], *, user: str, csrf_token: str, can_replay: set[str],
                trace: TraceView | None = None, notice: str | None = None, tenants: Sequence[str] = ()) -> str:
    """`overviews`: the tenants shown; `tenants`: every tenant the user may see (for the links at the top)."""
    sections = "".join(_tenant(o, csrf_token, o.tenant in can_replay) for o in overviews)
    if not overviews:
        sections = '<p class="muted">No tenant whose DAGs you may read.</p>'
    tenants = list(tenants) or [o.tenant for o in overviews]
    links = " ".join(f'<a href="?tenant={quote(t)}" id="show-{_e(t)}">{_e(t)}</a>' for t in tenants)
    return (f"<!doctype html><html><head><meta charset=\"utf-8\"><title>ml-connector operations</title>"
            f"<style>{STYLE}</style></head><body>"
            f"<h1>ml-connector operations</h1><p class=\"muted\">Signed in as {_e(user)}. Times in UTC; "
            f"today and this week start at midnight UTC (the week on Monday).</p>"
            f'<nav class="tenants">Tenants: <a href="./">all</a> {links}</nav>'
            + (f'<div class="notice" id="notice">{_e(notice)}</div>' if notice else "")
            + _trace_form(tenants, trace, overviews) + (_trace(trace) if trace else "") + sections + "</body></html>")


def _tenant(o: TenantOverview, csrf_token: str, can_replay: bool) -> str:
    t = _e(o.tenant)
    return (f'<section id="tenant-{t}"><h2>Tenant {t}</h2>' + _figures(o) + _dag_runs(o) + _invoice_runs(o)
            + _quarantine(o, csrf_token, can_replay) + _gaps(o) + _audit(o) + _health(o) + "</section>")


def _figures(o: TenantOverview) -> str:
    boxes = []
    for period, label in (("today", "today"), ("week", "this week")):
        figures = o.periods[period]
        for key, name in (("moved", "moved"), ("proposals_created", "proposals"), ("quarantined", "quarantined")):
            boxes.append(f'<div class="figure" id="{_e(o.tenant)}-{key}-{period}"><b>{figures[key]}</b>'
                         f"{name} {label}</div>")
    boxes.append(f'<div class="figure" id="{_e(o.tenant)}-open-quarantine"><b>{len(o.quarantine)}</b>'
                 "open in quarantine</div>")
    in_ifs = sum(n for status, n in o.ledger.items() if status in ("proposal_created", "acknowledged", "reported"))
    boxes.append(f'<div class="figure"><b>{in_ifs}</b>in IFS, all time</div>')
    return '<div class="figures">' + "".join(boxes) + "</div>"


def _dag_runs(o: TenantOverview) -> str:
    rows = [(_e(kind), _e(r["dag_id"]), _e(r["run_id"]), _e(r["run_type"]), _state(r["state"]),
             _when(r["started_at"]), _when(r["ended_at"]))
            for kind, runs in o.dag_runs.items() for r in runs]
    return "<h3>Last DAG runs</h3>" + _table(
        ("DAG", "DAG ID", "RUN", "TYPE", "STATE", "STARTED", "ENDED"), rows, "No DAG runs yet.",
        css_id=f"{o.tenant}-dag-runs")


def _invoice_runs(o: TenantOverview) -> str:
    rows = [(_e(r["run_id"]), _outcome(r), _when(r["finished_at"]),
             *(f'<span class="num">{r["counts"][k]}</span>' for k in RUN_COUNTS)) for r in o.invoice_runs]
    return "<h3>Invoice runs: outcome</h3>" + _table(
        ("RUN", "OUTCOME", "FINISHED", *(k.upper() for k in RUN_COUNTS)), rows,
        "No invoice run recorded yet.", css_id=f"{o.tenant}-invoice-runs")


def _outcome(run: dict[str, Any]) -> str:
    """A run that quarantined or deferred invoices is not plain green, whatever Airflow's state says."""
    held = {k: run["counts"][k] for k in ("quarantined", "deferred", "failed") if run["counts"][k]}
    if run["state"] != "success" or not held:
        return _state(run["state"])
    return f'<span class="partial">success, {_e(", ".join(f"{n} {k}" for k, n in held.items()))}</span>'


def _quarantine(o: TenantOverview, csrf_token: str, can_replay: bool) -> str:
    rows = []
    for q in o.quarantine:
        action = "-"
        if q["replayable"] and can_replay:
            action = (f'<form class="inline" method="post" action="replay">'
                      f'<input type="hidden" name="csrf_token" value="{_e(csrf_token)}">'
                      f'<input type="hidden" name="tenant" value="{_e(o.tenant)}">'
                      f'<input type="hidden" name="invoice_id" value="{_e(q["record_id"])}">'
                      f'<button type="submit" id="replay-{_e(o.tenant)}-{_e(q["record_id"])}">Replay</button></form>')
        reason = f'<span class="reason">{_e(short_reason(q["record_id"], q["reason"]))}</span>'
        rows.append((_e(q["record_type"]), _e(q["record_id"]), _e(q["invoice_number"] or "-"), _e(q["reason_code"]),
                     reason, _e(q["ledger_status"] or "-"), f'{_when(q["first_seen"])}<br>{_when(q["last_seen"])}',
                     str(q["occurrences"]), str(q["replays"]), action))
    return "<h3>Quarantine</h3>" + _table(
        ("TYPE", "RECORD", "NUMBER", "REASON CODE", "REASON", "LEDGER", "FIRST / LAST SEEN", "SEEN", "REPLAYS", ""),
        rows, "Nothing in quarantine.", css_id=f"{o.tenant}-quarantine")


def short_reason(record_id: str, reason: str | None) -> str:
    """The reason without its "invoice <id> (<number>): " lead-in: the row shows both already."""
    text = reason or ""
    for lead in (f"invoice {record_id} ", f"vendor {record_id} "):
        if text.startswith(lead):
            text = text[len(lead):]
            if text.startswith("(") and "): " in text:
                text = text.partition("): ")[2]
    return text


def _gaps(o: TenantOverview) -> str:
    if o.gaps is None:
        return ('<h3>Mapping gaps</h3><p class="muted">No gaps report yet (the master-data DAG\'s gaps task and '
                "<code>ml-connector gaps</code> write one).</p>")
    rows = [(_e(g["company"]), _e(g["code_part"]), _e(g["code"]), _e(g["source"]), _e(g["reason"]),
             f'{g.get("blocked_invoices", len(g["invoices"]))}: {_e(", ".join(g["invoices"][:10]))}')
            for g in o.gaps.get("gaps", [])]
    created = len(o.gaps.get("created_in_ifs", []))
    return (f'<h3>Mapping gaps</h3><p class="muted">Report of {_when(o.gaps["at"])} (run {_e(o.gaps["run_id"])});'
            f" {created} created in IFS.</p>"
            + _table(("IFS COMPANY", "PART", "CODE", "SEEN IN", "REASON", "BLOCKS INVOICES"), rows, "No mapping gaps.",
                     css_id=f"{o.tenant}-gaps"))


def _audit(o: TenantOverview) -> str:
    rows = [(_when(a["at"]), _e(a["vendor"]), _e(a["action"]), _e(a["system"]), _e(", ".join(a["fields"]) or "-"),
             _e(a["run_id"])) for a in o.vendor_audit]
    return ("<h3>Vendor audit trail (latest)</h3>"
            + _table(("AT", "VENDOR", "ACTION", "CHANGED BY", "FIELDS", "RUN"), rows, "No vendor audit entries.",
                     css_id=f"{o.tenant}-audit"))


def _health(o: TenantOverview) -> str:
    rows = []
    for h in o.health:
        failure = h["last_token_failure"]
        check = h["last_check"]
        rows.append((_e(h["system"]), _when(h["last_token_at"]),
                     f'<span class="fail">{_when(failure["at"])}: {_e(failure["reason"])}</span>' if failure else "-",
                     (f'<span class="{"ok" if check["ok"] else "fail"}">{"PASS" if check["ok"] else "FAIL"}</span> '
                      f'{_when(check["at"])}: {_e(check["message"])}') if check else "never checked"))
    return "<h3>Connections and tokens</h3>" + _table(
        ("SYSTEM", "LAST TOKEN OBTAINED", "LAST TOKEN FAILURE", "LAST CHECK (connect / check)"), rows, "",
        css_id=f"{o.tenant}-health")


def _trace_form(tenants: Sequence[str], trace: TraceView | None, shown: Sequence[TenantOverview]) -> str:
    selected = trace.tenant if trace else (shown[0].tenant if len(shown) == 1 else None)
    options = "".join(f'<option value="{_e(t)}"{" selected" if t == selected else ""}>{_e(t)}</option>'
                      for t in tenants)
    query = _e(trace.query) if trace else ""
    return ('<form method="get" action="" id="trace-form"><b>Trace an invoice</b> '
            f'<select name="tenant">{options}</select> <input name="invoice" placeholder="Basware invoice id or '
            f'invoice number" value="{query}" size="36"> <button type="submit">Trace</button></form>')


def _trace(view: TraceView) -> str:
    if not view.traces:
        return (f'<div id="trace"><p>Tenant {_e(view.tenant)}: no invoice with Basware id or invoice number '
                f"{_e(view.query)} has been extracted yet (is it approved in Basware, and inside a run's "
                "window?)</p></div>")
    return '<div id="trace">' + "".join(_one_trace(t) for t in view.traces) + "</div>"


def _one_trace(t: InvoiceTrace) -> str:
    a = t.amounts
    facts = (f"<h3>Invoice {_e(t.invoice_id)}{f' ({_e(t.invoice_number)})' if t.invoice_number else ''}, tenant "
             f"{_e(t.tenant)}: {_state(t.status)}</h3><p>Basware company {_e(t.company_code or '-')} &rarr; "
             f"IFS company {_e(t.ifs_company or '-')}; IFS proposal {_e(t.ifs_invoice_key or '-')}; external code "
             f"{_e(t.external_code or '-')}<br>amounts {_e(a['currency'])} net {_e(a['net'])} tax {_e(a['tax'])} "
             f"gross {_e(a['gross'])}; failed attempts {t.attempts}</p>")
    if t.quarantine:
        q = t.quarantine
        facts += (f"<p>Quarantine: {_e(q['reason_code'])}: {_e(q['reason'])} (seen {q['occurrences']}, replays "
                  f"{q['replays']}, {'resolved ' + _when(q['resolved_at']) if q['resolved_at'] else 'open'})</p>")
    rows = [(_when(s.at), _e(s.event), _e(s.run_id or "-"), _e(_detail(s.detail))) for s in t.steps]
    return (facts + _table(("AT", "STEP", "RUN", "DETAIL"), rows, "No steps recorded.")
            + f"<p><b>Next:</b> {_e(t.next_step)}</p>")


def _detail(detail: dict[str, Any]) -> str:
    return ", ".join(f"{k} {v}" for k, v in detail.items()) or "-"
