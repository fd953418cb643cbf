"""One tenant's figures for the operations page, read from the state store (and the DAG runs given).

Only aggregate figures, record ids, states and reasons: no secret and no document body. The vendor
audit trail shows which fields changed, not their values (`ml-connector audit` shows those).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from ml_connector.state import RunRecord, StateStore, Status
from ml_connector.sync.errors import RECORD_TYPE
from ml_connector.sync.gaps import GAPS_REPORT
from ml_connector.sync.health import SYSTEMS, check_report, token_failure_report, token_report
from ml_connector.sync.values import iso

RECENT_RUNS = 5  # per DAG
RECENT_AUDIT = 20
# Invoice events counted per period: moved = transfer reported to Basware (the proposal is in IFS).
PERIOD_EVENTS = {"moved": Status.REPORTED.value, "proposals_created": Status.PROPOSAL_CREATED.value,
                 "quarantined": Status.QUARANTINED.value}


@dataclass(frozen=True)
class DagRunRow:
    """One Airflow DAG run of a tenant's DAG, as the API server reads it from the metadata DB."""

    kind: str  # invoices, vendors, master data
    dag_id: str
    run_id: str
    state: str
    run_type: str
    started_at: datetime | None
    ended_at: datetime | None


@dataclass(frozen=True)
class TenantOverview:
    tenant: str
    generated_at: str
    dag_runs: dict[str, list[dict[str, Any]]]  # kind -> latest runs, newest first
    invoice_runs: list[dict[str, Any]]  # the connector's own run records: counts of each invoice run
    periods: dict[str, dict[str, int]]  # today / this week (UTC) -> moved, proposals created, quarantined
    ledger: dict[str, int]  # invoices per status, all time
    quarantine: list[dict[str, Any]]
    gaps: dict[str, Any] | None
    vendor_audit: list[dict[str, Any]]
    health: list[dict[str, Any]]

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def period_starts(now: datetime) -> dict[str, datetime]:
    """Midnight UTC today, and Monday midnight UTC of this ISO week."""
    today = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return {"today": today, "week": today - timedelta(days=today.weekday())}


def tenant_overview(store: StateStore, tenant_id: str, dag_runs: Iterable[DagRunRow] = (),
                    now: datetime | None = None) -> TenantOverview:
    now = now or datetime.now(UTC)
    periods = {}
    for period, since in period_starts(now).items():
        counts = store.event_counts(tenant_id, since)
        periods[period] = {name: counts.get(event, 0) for name, event in PERIOD_EVENTS.items()}
    return TenantOverview(
        tenant=tenant_id, generated_at=now.isoformat(), dag_runs=_dag_runs(dag_runs),
        invoice_runs=[_run(r) for r in store.recent_runs(tenant_id, RECENT_RUNS)], periods=periods,
        ledger={str(s): n for s, n in store.status_counts(tenant_id).items()},
        quarantine=quarantine(store, tenant_id), gaps=_gaps(store, tenant_id),
        vendor_audit=vendor_audit(store, tenant_id), health=health(store, tenant_id),
    )


def _dag_runs(rows: Iterable[DagRunRow]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for row in sorted(rows, key=lambda r: r.started_at or datetime.min.replace(tzinfo=UTC), reverse=True):
        runs = out.setdefault(row.kind, [])
        if len(runs) < RECENT_RUNS:
            runs.append({"dag_id": row.dag_id, "run_id": row.run_id, "state": row.state, "run_type": row.run_type,
                         "started_at": iso(row.started_at), "ended_at": iso(row.ended_at)})
    return out


# The counts of an invoice run worth a column on the page, in this order.
RUN_COUNTS = ("invoices", "created", "updated", "reported", "quarantined", "deferred", "failed")


def _run(run: RunRecord) -> dict[str, Any]:
    counts = run.counts or {}
    return {"run_id": run.run_id, "dag_id": run.dag_id, "state": run.state, "started_at": iso(run.started_at),
            "finished_at": iso(run.finished_at), "counts": {k: int(counts.get(k, 0)) for k in RUN_COUNTS}}


def quarantine(store: StateStore, tenant_id: str) -> list[dict[str, Any]]:
    """Open entries of every record type with their reasons; invoices are the ones the page can replay."""
    entries = store.list_open(tenant_id)
    ledger = store.get_invoices(tenant_id, [e.record_id for e in entries if e.record_type == RECORD_TYPE])
    out = []
    for e in entries:
        row = ledger.get(e.record_id) if e.record_type == RECORD_TYPE else None
        out.append({"record_type": e.record_type, "record_id": e.record_id,
                    "invoice_number": row.invoice_number if row else None, "reason_code": e.reason_code,
                    "reason": e.reason, "ledger_status": str(row.status) if row else None,
                    "first_seen": iso(e.first_seen), "last_seen": iso(e.last_seen), "occurrences": e.occurrences,
                    "replays": e.replay_count, "replayable": e.record_type == RECORD_TYPE})
    return out


def _gaps(store: StateStore, tenant_id: str) -> dict[str, Any] | None:
    report = store.reports(tenant_id).get(GAPS_REPORT)
    if report is None:
        return None
    return {"at": iso(report.at), "run_id": report.run_id, **dict(report.payload or {})}


def vendor_audit(store: StateStore, tenant_id: str) -> list[dict[str, Any]]:
    return [{"vendor": e.entity_key, "action": e.action, "system": e.source_system, "at": iso(e.at),
             "run_id": e.run_id, "fields": sorted(e.changes or {})}
            for e in store.recent_audit(tenant_id, "vendor", RECENT_AUDIT)]


def health(store: StateStore, tenant_id: str) -> list[dict[str, Any]]:
    """Per system: the last token obtained, the last failure to obtain one, the last connection check."""
    reports = store.reports(tenant_id)
    out = []
    for slug, name in SYSTEMS.items():
        token, failure, check = (reports.get(f(slug)) for f in (token_report, token_failure_report, check_report))
        out.append({
            "system": name,
            "last_token_at": iso(token.at) if token else None,
            "last_token_failure": ({"at": iso(failure.at), "reason": (failure.payload or {}).get("reason")}
                                   if failure and (token is None or failure.at > token.at) else None),
            "last_check": ({"at": iso(check.at), "ok": bool(check.payload.get("ok")),
                            "message": check.payload.get("message")} if check else None),
        })
    field_map = reports.get(check_report("ifs_field_map"))
    if field_map is not None:
        out.append({"system": "IFS field map", "last_token_at": None, "last_token_failure": None,
                    "last_check": {"at": iso(field_map.at), "ok": bool(field_map.payload.get("ok")),
                                   "message": field_map.payload.get("message")}})
    return out
