"""Quarantine, watermarks, audit trail, webhook inbox, runs, and the unit of work that ties them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from ml_connector.state import ControlTotal, ExtractedInvoice, StateStore, Status

TENANT = "acme"
T0 = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)


def test_quarantine_upsert_list_resolve_and_replay(store: StateStore) -> None:
    payload = {"invoiceId": "1", "grossSum": "12.50", "codingRows": [{"costCenterCode": "X"}]}
    first = store.quarantine(TENANT, "invoice", "1", "unknown_cost_center", "X not valid in 10", payload, run_id="r1")
    assert (first.occurrences, first.replay_count, first.resolved_at) == (1, 0, None)
    store.quarantine(TENANT, "vendor", "V9", "missing_vendor", "not in IFS")
    store.quarantine("other", "invoice", "1", "unknown_company")
    again = store.quarantine(TENANT, "invoice", "1", "unknown_cost_center", "still not valid", payload, run_id="r2")
    assert (again.occurrences, again.reason, again.run_id, again.first_seen) == (
        2, "still not valid", "r2", first.first_seen)
    assert again.last_seen >= first.last_seen and again.payload == payload
    assert [(e.record_type, e.record_id) for e in store.list_open(TENANT)] == [("invoice", "1"), ("vendor", "V9")]
    assert [e.record_id for e in store.list_open(TENANT, "vendor")] == ["V9"]

    assert store.mark_replayed(TENANT, "invoice", "1") is True
    assert store.resolve(TENANT, "invoice", "1") is True
    assert store.resolve(TENANT, "invoice", "1") is False  # already resolved
    assert store.mark_replayed(TENANT, "invoice", "1") is False  # nothing open to replay
    entry = store.get_quarantined(TENANT, "invoice", "1")
    assert entry is not None and entry.replay_count == 1 and entry.resolved_at is not None
    assert [e.record_id for e in store.list_open(TENANT)] == ["V9"]
    # Failing again after a fix reopens the same entry.
    back = store.quarantine(TENANT, "invoice", "1", "unbalanced_rows")
    assert (back.resolved_at, back.occurrences, back.replay_count) == (None, 3, 1)
    assert len(store.list_open("other")) == 1


def test_watermark_never_moves_back_unless_forced(store: StateStore) -> None:
    assert store.get_watermark(TENANT, "invoices") is None
    assert store.advance_watermark(TENANT, "invoices", T0, run_id="r1") is True
    assert store.advance_watermark(TENANT, "invoices", T0 - timedelta(seconds=1)) is False
    assert store.advance_watermark(TENANT, "invoices", T0) is False
    # 09:30+02:00 is 07:30Z: earlier, though its text sorts later.
    assert store.advance_watermark(TENANT, "invoices", "2025-03-01T09:30:00+02:00") is False
    assert store.advance_watermark(TENANT, "invoices", "2025-03-01T08:00:00.000001Z") is True
    assert store.get_watermark(TENANT, "invoices") == T0 + timedelta(microseconds=1)
    assert store.advance_watermark(TENANT, "invoices", T0 - timedelta(days=7), force=True) is True
    assert store.get_watermark(TENANT, "invoices") == T0 - timedelta(days=7)
    assert store.get_watermark(TENANT, "vendors") is None and store.get_watermark("other", "invoices") is None
    with pytest.raises(ValueError, match="naive"):
        store.advance_watermark(TENANT, "invoices", datetime(2030, 1, 1))


def test_watermark_round_trips_as_aware_utc(store: StateStore) -> None:
    store.advance_watermark(TENANT, "invoices", datetime(2025, 3, 1, 12, tzinfo=timezone(timedelta(hours=-5))))
    value = store.get_watermark(TENANT, "invoices")
    assert value is not None and value.tzinfo is UTC and value.hour == 17


def _extract(store: StateStore) -> None:
    store.record_extracted(TENANT, [ExtractedInvoice("1", "f", T0, gross_amount=Decimal("5"))])


def test_ledger_and_watermark_roll_back_together(store: StateStore) -> None:
    _extract(store)
    with pytest.raises(RuntimeError, match="crash"):
        with store.transaction() as tx:
            assert tx.advance(TENANT, "1", Status.REPORTED, run_id="r1")
            assert tx.advance_watermark(TENANT, "invoices", T0, run_id="r1")
            assert tx.get_invoice(TENANT, "1").status is Status.REPORTED  # type: ignore[union-attr]
            tx.audit(TENANT, "invoice", "1", "updated", "ml-connector")
            raise RuntimeError("worker crash before commit")
    assert store.get_invoice(TENANT, "1").status is Status.EXTRACTED  # type: ignore[union-attr]
    assert store.get_watermark(TENANT, "invoices") is None
    assert store.audit_history(TENANT, "invoice", "1") == []
    with store.transaction() as tx:
        tx.advance(TENANT, "1", Status.REPORTED, run_id="r1")
        tx.advance_watermark(TENANT, "invoices", T0, run_id="r1")
    assert store.get_invoice(TENANT, "1").status is Status.REPORTED  # type: ignore[union-attr]
    assert store.get_watermark(TENANT, "invoices") == T0


def test_audit_history_is_chronological(store: StateStore) -> None:
    changes = {"name": {"before": "Acme", "after": "ACME Oy"}}
    store.audit(TENANT, "vendor", "V1", "updated", "basware", changes, run_id="r2", at=T0 + timedelta(hours=2))
    store.audit(TENANT, "vendor", "V1", "created", "ml-connector", at=T0)
    store.audit(TENANT, "vendor", "V1", "skipped", "ifs", at=T0 + timedelta(hours=2))  # same instant: insert order
    store.audit(TENANT, "vendor", "V2", "created", "ml-connector", at=T0)
    store.audit("other", "vendor", "V1", "conflict", "ifs", at=T0)
    history = store.audit_history(TENANT, "vendor", "V1")
    assert [(h.action, h.source_system) for h in history] == [
        ("created", "ml-connector"), ("updated", "basware"), ("skipped", "ifs")]
    assert history[1].changes == changes and history[1].run_id == "r2" and history[1].at.tzinfo is UTC
    assert [h.action for h in store.audit_history(TENANT, "vendor", "V1", limit=2)] == ["updated", "skipped"]
    with pytest.raises(ValueError):
        store.audit(TENANT, "vendor", "V1", "deleted", "ifs")
    with pytest.raises(ValueError):
        store.audit(TENANT, "vendor", "V1", "created", "sap")


def test_webhook_deliveries_are_deduplicated(store: StateStore) -> None:
    assert store.record_delivery(TENANT, "task-1", "inv-1", {"taskId": "task-1"}, at=T0) is True
    assert store.record_delivery(TENANT, "task-1", "inv-1", {"taskId": "task-1"}) is False
    assert store.record_delivery(TENANT, "task-2", "inv-2", at=T0 + timedelta(seconds=1)) is True
    assert store.record_delivery("other", "task-1", "inv-1") is True
    pending = store.pending_deliveries(TENANT)
    assert [(d.delivery_id, d.document_id, d.payload) for d in pending] == [
        ("task-1", "inv-1", {"taskId": "task-1"}), ("task-2", "inv-2", None)]
    assert store.mark_processed(TENANT, "task-1") is True
    assert store.mark_processed(TENANT, "task-1") is False
    assert [d.delivery_id for d in store.pending_deliveries(TENANT)] == ["task-2"]
    assert store.record_delivery(TENANT, "task-1") is False  # still a duplicate once processed


def test_runs_record_counts_and_totals(store: StateStore) -> None:
    assert store.start_run(TENANT, "manual__1", dag_id="mlc_acme_invoices", info={"window": ["a", "b"]}) is True
    started = store.get_run(TENANT, "manual__1")
    assert store.start_run(TENANT, "manual__1") is False  # a retried task
    totals = [ControlTotal("10", "EUR", 2, Decimal("0.10"), Decimal("0.02"), Decimal("0.12"))]
    assert store.finish_run(TENANT, "manual__1", "success", counts={"reported": 2}, control_totals=totals)
    run = store.get_run(TENANT, "manual__1")
    assert started is not None and run is not None
    assert (run.state, run.started_at, run.counts, run.info) == (
        "success", started.started_at, {"reported": 2}, {"window": ["a", "b"]})
    assert run.control_totals == [
        {"company": "10", "currency": "EUR", "count": 2, "net": "0.10", "tax": "0.02", "gross": "0.12"}]
    assert run.finished_at is not None and store.get_run("other", "manual__1") is None
