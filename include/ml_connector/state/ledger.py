"""The invoice ledger: one row per (tenant, Basware invoiceId), moving forward only."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, func, insert, select, update

from ml_connector.state.base import Ops, chunks, upsert
from ml_connector.state.models import ALLOWED_FROM, REOPENABLE, RESUMABLE, Status, invoice_events, ledger
from ml_connector.state.records import ControlTotal, ExtractedInvoice, ExtractResult, InvoiceEvent, LedgerEntry
from ml_connector.state.types import to_amount

log = logging.getLogger(__name__)

# What advance() may set besides the status; everything else is owned by extraction.
ADVANCE_FIELDS = frozenset({"ifs_company", "ifs_invoice_key", "external_code", "last_error", "run_id"})
_BATCH = 500  # rows per statement, well under SQLite's and PostgreSQL's bind-parameter limits
_MAX_ERROR = 4000


def _doc_values(doc: ExtractedInvoice) -> dict[str, Any]:
    return {
        "fingerprint": doc.fingerprint,
        "basware_last_updated": doc.last_updated,
        "company_code": doc.company_code,
        "currency": doc.currency,
        "net_amount": doc.net_amount,
        "tax_amount": doc.tax_amount,
        "gross_amount": doc.gross_amount,
        "invoice_number": doc.invoice_number,
    }


def _key(tenant_id: str, invoice_id: str) -> ColumnElement[bool]:
    return and_(ledger.c.tenant_id == tenant_id, ledger.c.invoice_id == invoice_id)


def _window(tenant_id: str, since: datetime | None, until: datetime | None) -> list[ColumnElement[bool]]:
    where = [ledger.c.tenant_id == tenant_id]
    if since is not None:
        where.append(ledger.c.basware_last_updated >= since)
    if until is not None:
        where.append(ledger.c.basware_last_updated < until)
    return where


def _events(conn: Connection, tenant_id: str, rows: Iterable[tuple[str, str, dict[str, Any] | None]],
            run_id: str | None, at: datetime) -> None:
    """Append (invoice_id, event, detail) to the invoice's story, in the caller's transaction."""
    values = [{"tenant_id": tenant_id, "invoice_id": invoice_id, "event": event, "detail": detail or None,
               "run_id": run_id, "at": at} for invoice_id, event, detail in rows]
    for batch in chunks(values, _BATCH):
        conn.execute(insert(invoice_events), batch)


class LedgerOps(Ops):
    def record_extracted(
        self, tenant_id: str, docs: Iterable[ExtractedInvoice], *, run_id: str | None = None
    ) -> ExtractResult:
        """Insert-or-ignore; a changed document restarts only if no proposal can exist for it yet."""
        latest = {d.invoice_id: d for d in docs}  # overlapping pages may repeat one: keep the last
        result = ExtractResult()
        with self._tx() as conn:
            for batch in chunks(list(latest.values()), _BATCH):
                self._record_batch(conn, tenant_id, batch, run_id, result)
        if result.changed_after_proposal:
            log.warning("tenant %s: %d documents changed after their proposal was created",
                        tenant_id, len(result.changed_after_proposal))
        return result

    def _record_batch(
        self, conn: Connection, tenant_id: str, batch: Iterable[ExtractedInvoice], run_id: str | None,
        result: ExtractResult,
    ) -> None:
        batch = list(batch)
        now = self._now()
        known = {
            r.invoice_id: r
            for r in conn.execute(
                select(ledger.c.invoice_id, ledger.c.status, ledger.c.fingerprint).where(
                    ledger.c.tenant_id == tenant_id, ledger.c.invoice_id.in_([d.invoice_id for d in batch])
                )
            )
        }
        fresh = [
            {**_doc_values(d), "tenant_id": tenant_id, "invoice_id": d.invoice_id, "status": Status.EXTRACTED,
             "attempts": 0, "run_id": run_id, "created_at": now, "updated_at": now}
            for d in batch if d.invoice_id not in known
        ]
        inserted: set[str] = set()
        if fresh:
            stmt = upsert(conn, ledger).values(fresh).on_conflict_do_nothing(
                index_elements=["tenant_id", "invoice_id"]
            ).returning(ledger.c.invoice_id)
            inserted = set(conn.execute(stmt).scalars())
        for doc in batch:
            row = known.get(doc.invoice_id)
            if doc.invoice_id in inserted:
                result.inserted.append(doc.invoice_id)
            elif row is None or row.fingerprint == doc.fingerprint:
                result.unchanged.append(doc.invoice_id)  # row None: a concurrent run inserted it first
            elif Status(row.status) in REOPENABLE and self._restart(conn, tenant_id, doc, row, run_id, now):
                result.reopened.append(doc.invoice_id)
            else:
                result.changed_after_proposal.append(doc.invoice_id)
        fresh_ids = set(inserted) | set(result.reopened)
        _events(conn, tenant_id, [(d.invoice_id, "re-extracted" if d.invoice_id not in inserted else Status.EXTRACTED,
                                   None) for d in batch if d.invoice_id in fresh_ids], run_id, now)

    def _restart(
        self, conn: Connection, tenant_id: str, doc: ExtractedInvoice, seen: Any, run_id: str | None,
        now: datetime,
    ) -> bool:
        # Guarded by what we read: a concurrent writer's change wins and we report a conflict.
        stmt = update(ledger).where(
            _key(tenant_id, doc.invoice_id), ledger.c.status == seen.status,
            ledger.c.fingerprint == seen.fingerprint,
        ).values(**_doc_values(doc), status=Status.EXTRACTED, last_error=None, run_id=run_id, updated_at=now)
        return conn.execute(stmt).rowcount == 1

    def advance(self, tenant_id: str, invoice_id: str, to_status: Status | str, *,
                detail: dict[str, Any] | None = None, **fields: Any) -> bool:
        """Move forward to `to_status` and set `fields`; False if the row is already there or beyond.
        `detail` goes into the step's event only (e.g. the Basware request ids of the call behind it).

        One conditional UPDATE: of two writers racing on a row, exactly one sees rowcount 1.
        """
        target = Status(to_status)
        sources = ALLOWED_FROM[target]
        if not sources:
            raise ValueError(f"nothing advances to {target}: insert with record_extracted or use reopen")
        unknown = set(fields) - ADVANCE_FIELDS
        if unknown:
            raise TypeError(f"advance() cannot set {sorted(unknown)}")
        if fields.get("last_error"):
            fields["last_error"] = fields["last_error"][:_MAX_ERROR]
        now = self._now()
        stmt = update(ledger).where(_key(tenant_id, invoice_id), ledger.c.status.in_(sources)).values(
            status=target, updated_at=now, **fields
        )
        story = {**{k: v for k, v in fields.items() if k != "run_id" and v is not None}, **(detail or {})}
        with self._tx() as conn:
            moved = conn.execute(stmt).rowcount == 1
            if moved:
                _events(conn, tenant_id, [(invoice_id, target, story)], fields.get("run_id"), now)
        if not moved:
            log.debug("tenant %s invoice %s: not moved to %s", tenant_id, invoice_id, target)
        return moved

    def reopen(self, tenant_id: str, invoice_id: str, *, run_id: str | None = None) -> bool:
        """Replay: a quarantined invoice goes back to `extracted`. The one sanctioned step back."""
        stmt = update(ledger).where(
            _key(tenant_id, invoice_id),
            ledger.c.status.in_([Status.QUARANTINED, Status.TRANSFER_FAILED_REPORTED]),
        ).values(status=Status.EXTRACTED, last_error=None, run_id=run_id, updated_at=self._now())
        with self._tx() as conn:
            return conn.execute(stmt).rowcount == 1

    def note_event(self, tenant_id: str, invoice_id: str, event: str, detail: dict[str, Any] | None = None, *,
                   run_id: str | None = None) -> None:
        """Add a step that is not a ledger change to the invoice's story (e.g. a replay was asked for)."""
        with self._tx() as conn:
            _events(conn, tenant_id, [(invoice_id, event, detail)], run_id, self._now())

    def record_error(self, tenant_id: str, invoice_id: str, error: str, *, run_id: str | None = None) -> int | None:
        """Count a failed attempt without moving the status; returns attempts so far (None: no row)."""
        now = self._now()
        values: dict[str, Any] = {"attempts": ledger.c.attempts + 1, "last_error": error[:_MAX_ERROR],
                                  "updated_at": now}
        if run_id is not None:
            values["run_id"] = run_id
        stmt = update(ledger).where(_key(tenant_id, invoice_id)).values(**values).returning(ledger.c.attempts)
        with self._tx() as conn:
            attempts = conn.execute(stmt).scalar_one_or_none()
            if attempts is not None:
                _events(conn, tenant_id, [(invoice_id, "error", {"error": error[:_MAX_ERROR]})], run_id, now)
            return attempts

    def begin_upsert(self, tenant_id: str, invoice_id: str) -> int | None:
        """Mark a proposal look-up-and-create as started (call it holding the invoice's lock)."""
        stmt = update(ledger).where(_key(tenant_id, invoice_id)).values(
            upserts=ledger.c.upserts + 1, updated_at=self._now()).returning(ledger.c.upserts)
        with self._tx() as conn:
            return conn.execute(stmt).scalar_one_or_none()

    def get_invoices(self, tenant_id: str, invoice_ids: Iterable[str]) -> dict[str, LedgerEntry]:
        ids = list(invoice_ids)
        with self._tx(read_only=True) as conn:
            rows = conn.execute(select(ledger).where(ledger.c.tenant_id == tenant_id,
                                                     ledger.c.invoice_id.in_(ids))).all() if ids else []
        return {row.invoice_id: LedgerEntry.from_row(row) for row in rows}

    def get_invoice(self, tenant_id: str, invoice_id: str) -> LedgerEntry | None:
        with self._tx(read_only=True) as conn:
            row = conn.execute(select(ledger).where(_key(tenant_id, invoice_id))).first()
        return LedgerEntry.from_row(row) if row else None

    def unfinished(
        self, tenant_id: str, statuses: Iterable[Status] = RESUMABLE, *,
        since: datetime | None = None, until: datetime | None = None, limit: int | None = None,
    ) -> list[LedgerEntry]:
        """Rows in `statuses` (default: in IFS or acknowledged, not yet reported), oldest first; the
        first `limit` only when given.

        With statuses=NOT_FINAL and a lastUpdated window: what still holds that window's watermark.
        """
        stmt = select(ledger).where(*_window(tenant_id, since, until), ledger.c.status.in_(list(statuses)))
        with self._tx(read_only=True) as conn:
            rows = conn.execute(stmt.order_by(ledger.c.updated_at, ledger.c.invoice_id).limit(limit)).all()
        return [LedgerEntry.from_row(r) for r in rows]

    def unfinished_ids(self, tenant_id: str, statuses: Iterable[Status]) -> Iterator[tuple[str, Status, int]]:
        """(invoice_id, status, attempts) of the rows in `statuses`, oldest first, streamed: extract reads
        all of a tenant's, which after a burst is every invoice just recorded (100,000 whole entries
        held at once were most of a run's memory)."""
        stmt = (select(ledger.c.invoice_id, ledger.c.status, ledger.c.attempts)
                .where(ledger.c.tenant_id == tenant_id, ledger.c.status.in_(list(statuses)))
                .order_by(ledger.c.updated_at, ledger.c.invoice_id))
        with self._tx(read_only=True) as conn:
            for row in conn.execute(stmt).yield_per(2000):
                yield row.invoice_id, Status(row.status), int(row.attempts)

    def count_unfinished(self, tenant_id: str, statuses: Iterable[Status], *, since: datetime | None = None,
                         until: datetime | None = None) -> int:
        stmt = select(func.count()).select_from(ledger).where(*_window(tenant_id, since, until),
                                                               ledger.c.status.in_(list(statuses)))
        with self._tx(read_only=True) as conn:
            return int(conn.execute(stmt).scalar_one())

    def status_counts(self, tenant_id: str, *, run_id: str | None = None) -> dict[Status, int]:
        stmt = select(ledger.c.status, func.count()).where(ledger.c.tenant_id == tenant_id)
        if run_id is not None:
            stmt = stmt.where(ledger.c.run_id == run_id)
        with self._tx(read_only=True) as conn:
            found: dict[str, int] = dict(conn.execute(stmt.group_by(ledger.c.status)).tuples().all())
        return {s: found.get(s.value, 0) for s in Status}

    def control_totals(
        self, tenant_id: str, *, run_id: str | None = None, since: datetime | None = None,
        until: datetime | None = None, statuses: Iterable[Status] | None = None,
    ) -> list[ControlTotal]:
        """Count and summed amounts per (IFS company, currency), for the rows a run last touched
        and/or a Basware lastUpdated window [since, until). Sums are exact Decimals."""
        stmt = select(
            ledger.c.ifs_company, ledger.c.currency, func.count(),
            func.sum(ledger.c.net_amount), func.sum(ledger.c.tax_amount), func.sum(ledger.c.gross_amount),
        ).where(*_window(tenant_id, since, until))
        if run_id is not None:
            stmt = stmt.where(ledger.c.run_id == run_id)
        if statuses is not None:
            stmt = stmt.where(ledger.c.status.in_(list(statuses)))
        with self._tx(read_only=True) as conn:
            rows = conn.execute(stmt.group_by(ledger.c.ifs_company, ledger.c.currency)).all()
        totals = [
            ControlTotal(company, currency, count, to_amount(net or 0), to_amount(tax or 0), to_amount(gross or 0))
            for company, currency, count, net, tax, gross in rows
        ]
        return sorted(totals, key=lambda t: (t.company or "", t.currency or ""))


class InvoiceHistoryOps(Ops):
    """Reads of the invoice ledger and its events for people: `trace` and the operations page."""

    def find_invoices(self, tenant_id: str, id_or_number: str) -> list[LedgerEntry]:
        """The invoice with this Basware invoiceId, else those with this supplier invoice number."""
        where = ledger.c.tenant_id == tenant_id
        with self._tx(read_only=True) as conn:
            rows = conn.execute(select(ledger).where(where, ledger.c.invoice_id == id_or_number)).all()
            if not rows:
                stmt = select(ledger).where(where, ledger.c.invoice_number == id_or_number)
                rows = conn.execute(stmt.order_by(ledger.c.created_at)).all()
        return [LedgerEntry.from_row(r) for r in rows]

    def invoice_story(self, tenant_id: str, invoice_id: str) -> list[InvoiceEvent]:
        """The invoice's events, oldest first."""
        e = invoice_events.c
        stmt = select(invoice_events).where(e.tenant_id == tenant_id, e.invoice_id == invoice_id).order_by(e.id)
        with self._tx(read_only=True) as conn:
            return [InvoiceEvent.from_row(r) for r in conn.execute(stmt)]

    def event_counts(self, tenant_id: str, since: datetime) -> dict[str, int]:
        """How many invoice events of each kind (a Status, error, replayed...) happened at or after `since`."""
        e = invoice_events.c
        stmt = (select(e.event, func.count()).where(e.tenant_id == tenant_id, e.at >= since).group_by(e.event))
        with self._tx(read_only=True) as conn:
            return {event: int(n) for event, n in conn.execute(stmt).tuples()}
