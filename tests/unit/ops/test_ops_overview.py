"""The operations page's figures and HTML from a real state store (SQLite), written as the flows write it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from pydantic import SecretStr

from ml_connector.http.tokens import TokenGrant, TokenManager
from ml_connector.ops.overview import DagRunRow, period_starts, tenant_overview
from ml_connector.ops.page import TraceView, render_page
from ml_connector.state import ExtractedInvoice, StateStore, Status
from ml_connector.sync.health import record_check, token_observer
from ml_connector.sync.trace import trace_invoices

TENANT = "acme"
# A Thursday: "this week" began on Monday 2026-11-30, "today" at midnight.
NOW = datetime(2026, 12, 3, 15, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(tmp_path: Path, clock: Clock) -> Iterator[StateStore]:
    s = StateStore(f"sqlite:///{tmp_path / 'state.db'}", clock=clock)
    s.migrate()
    yield s
    s.dispose()


def _invoice(store: StateStore, invoice_id: str, *, to: Status, number: str | None = None) -> None:
    doc = ExtractedInvoice(invoice_id, f"fp-{invoice_id}", company_code="US10", currency="USD",
                           gross_amount=Decimal("119.00"), invoice_number=number)
    store.record_extracted(TENANT, [doc], run_id="run-1")
    for step in (Status.MAPPED, Status.PROPOSAL_CREATED, Status.ACKNOWLEDGED, Status.REPORTED):
        if to == Status.QUARANTINED and step == Status.MAPPED:
            store.advance(TENANT, invoice_id, Status.QUARANTINED, last_error="unknown cost center", run_id="run-1")
            return
        fields = {"ifs_invoice_key": f"10^{invoice_id}"} if step == Status.PROPOSAL_CREATED else {}
        store.advance(TENANT, invoice_id, step, run_id="run-1", **fields)
        if step == to:
            return


def test_periods_start_at_midnight_utc_and_on_monday() -> None:
    starts = period_starts(NOW)
    assert starts["today"] == datetime(2026, 12, 3, tzinfo=UTC)
    assert starts["week"] == datetime(2026, 11, 30, tzinfo=UTC)


def test_figures_count_today_and_this_week_apart(store: StateStore, clock: Clock) -> None:
    clock.now = NOW - timedelta(days=2)  # Tuesday: this week, not today
    _invoice(store, "INV-TUE", to=Status.REPORTED)
    clock.now = NOW - timedelta(days=7)  # last week: in neither
    _invoice(store, "INV-OLD", to=Status.REPORTED)
    clock.now = NOW - timedelta(hours=1)
    _invoice(store, "INV-1", to=Status.REPORTED, number="A-1")
    _invoice(store, "INV-2", to=Status.PROPOSAL_CREATED)
    _invoice(store, "INV-BAD", to=Status.QUARANTINED)
    store.quarantine(TENANT, "invoice", "INV-BAD", "invalid_dimension", "cost center CC-X does not exist",
                     payload={"body": "the whole document"}, run_id="run-1")
    store.quarantine(TENANT, "vendor", "V-9", "rejected", "Basware refused it", run_id="run-v")
    store.start_run(TENANT, "run-1", dag_id="mlc_acme_invoices")
    store.finish_run(TENANT, "run-1", "partial", counts={"invoices": 3, "created": 2, "quarantined": 1})

    o = tenant_overview(store, TENANT, [DagRunRow("invoices", "mlc_acme_invoices", "run-1", "success", "manual",
                                                  NOW - timedelta(hours=1), NOW)], now=NOW)

    assert o.periods["today"] == {"moved": 1, "proposals_created": 2, "quarantined": 1}
    assert o.periods["week"] == {"moved": 2, "proposals_created": 3, "quarantined": 1}
    assert o.ledger["reported"] == 3 and o.ledger["proposal_created"] == 1 and o.ledger["quarantined"] == 1
    assert [r["run_id"] for r in o.dag_runs["invoices"]] == ["run-1"]
    assert o.invoice_runs[0]["state"] == "partial" and o.invoice_runs[0]["counts"]["quarantined"] == 1
    by_id = {q["record_id"]: q for q in o.quarantine}
    assert by_id["INV-BAD"]["replayable"] and by_id["INV-BAD"]["ledger_status"] == "quarantined"
    assert not by_id["V-9"]["replayable"]
    assert "the whole document" not in str(o.to_json())  # the stored payload is for replay, not for the page


def test_health_keeps_the_last_token_its_failure_and_the_last_check(store: StateStore, clock: Clock) -> None:
    grants = iter([ConnectionError("IAM down"), TokenGrant(SecretStr("tok-secret-value"), 300)])

    def source() -> TokenGrant:
        item = next(grants)
        if isinstance(item, Exception):
            raise item
        return item

    manager = TokenManager(source, name="ifs")
    manager.observe("health:acme", token_observer(store, TENANT, "ifs_cloud"))
    with pytest.raises(ConnectionError):
        manager.get_token()
    failed = tenant_overview(store, TENANT, now=NOW).health
    ifs = next(h for h in failed if h["system"] == "IFS Cloud")
    assert ifs["last_token_at"] is None and "IAM down" in ifs["last_token_failure"]["reason"]

    clock.now = NOW + timedelta(seconds=5)
    assert manager.get_token() == "tok-secret-value"
    record_check(store, TENANT, "Basware", False, "401 invalid_client")
    health = {h["system"]: h for h in tenant_overview(store, TENANT, now=NOW).health}
    assert health["IFS Cloud"]["last_token_at"] == (NOW + timedelta(seconds=5)).isoformat()
    assert health["IFS Cloud"]["last_token_failure"] is None  # superseded by the later success
    assert health["Basware"]["last_check"]["ok"] is False
    assert health["Basware"]["last_check"]["message"] == "401 invalid_client"
    assert "tok-secret-value" not in str(health)


def test_a_failing_observer_does_not_fail_the_token() -> None:
    def broken(ok: bool, reason: str | None) -> None:
        raise RuntimeError("database gone")

    manager = TokenManager(lambda: TokenGrant(SecretStr("t"), 300), name="bw")
    manager.observe("health:x", broken)
    assert manager.get_token() == "t"


def test_page_escapes_what_it_shows_and_offers_replay_only_where_allowed(store: StateStore) -> None:
    _invoice(store, "<script>x</script>", to=Status.QUARANTINED)
    store.quarantine(TENANT, "invoice", "<script>x</script>", "invalid_dimension", "<b>bad</b>")
    o = tenant_overview(store, TENANT, now=NOW)
    traces = trace_invoices(store, TENANT, "<script>x</script>")
    html = render_page([o], user="ann", csrf_token="1.abc", can_replay={TENANT},
                       trace=TraceView(TENANT, "<script>x</script>", traces))
    assert "<script>x</script>" not in html and "&lt;script&gt;x&lt;/script&gt;" in html
    assert "<b>bad</b>" not in html
    assert 'action="replay"' in html and 'name="csrf_token" value="1.abc"' in html
    assert "Next:" in html and "unknown cost center" in html
    read_only = render_page([o], user="viewer", csrf_token="1.abc", can_replay=set())
    assert 'action="replay"' not in read_only


def test_vendor_audit_shows_who_changed_which_fields_newest_first_without_values(store: StateStore,
                                                                                 clock: Clock) -> None:
    store.audit(TENANT, "vendor", "V-1", "created", "basware", {"name": {"before": None, "after": "Acme"}},
                run_id="run-a")
    clock.now = NOW + timedelta(minutes=1)
    store.audit(TENANT, "vendor", "V-1", "updated", "basware",
                {"vatNumber": {"before": "DE1", "after": "DE2"}, "name": {"before": "Acme", "after": "Acme AG"}},
                run_id="run-b")
    store.audit(TENANT, "gl_account", "6000", "updated", "ifs", {"name": {"before": "a", "after": "b"}})
    audit = tenant_overview(store, TENANT, now=NOW).vendor_audit
    assert [(a["vendor"], a["action"], a["system"], a["fields"]) for a in audit] == [
        ("V-1", "updated", "basware", ["name", "vatNumber"]), ("V-1", "created", "basware", ["name"])]
    assert "DE2" not in str(audit) and "Acme AG" not in str(audit)
