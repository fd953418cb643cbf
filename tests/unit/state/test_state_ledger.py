from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy.exc import StatementError

from ml_connector.state import NOT_FINAL, ExtractedInvoice, StateStore, Status, document_fingerprint

TENANT = "acme"
T0 = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)


def doc(invoice_id: str, fp: str = "f1", **kw: object) -> ExtractedInvoice:
    return ExtractedInvoice(invoice_id, fp, **kw)  # type: ignore[arg-type]


def test_fingerprint_is_canonical() -> None:
    a = {"invoiceId": "1", "rows": [{"b": 1, "a": Decimal("0.10")}]}
    b = {"rows": [{"a": Decimal("0.10"), "b": 1}], "invoiceId": "1"}
    assert document_fingerprint(a) == document_fingerprint(b) != document_fingerprint({**a, "invoiceId": "2"})


def test_recording_twice_is_a_no_op(store: StateStore) -> None:
    first = store.record_extracted(TENANT, [doc("1"), doc("2"), doc("1", "f1")], run_id="r1")
    assert sorted(first.inserted) == ["1", "2"]
    store.advance(TENANT, "1", Status.MAPPED, ifs_company="10")
    again = store.record_extracted(TENANT, [doc("1"), doc("2")], run_id="r2")
    assert again.inserted == [] and sorted(again.unchanged) == ["1", "2"]
    row = store.get_invoice(TENANT, "1")
    assert row is not None and row.status is Status.MAPPED and row.run_id == "r1" and row.ifs_company == "10"


def test_tenants_are_separate(store: StateStore) -> None:
    store.record_extracted(TENANT, [doc("1")])
    assert store.record_extracted("other", [doc("1")]).inserted == ["1"]
    store.advance("other", "1", Status.MAPPED)
    assert store.get_invoice(TENANT, "1").status is Status.EXTRACTED  # type: ignore[union-attr]


def test_changed_document_restarts_only_before_a_proposal_exists(store: StateStore) -> None:
    store.record_extracted(TENANT, [doc(i, gross_amount=Decimal("1")) for i in "abc"])
    store.advance(TENANT, "a", Status.MAPPED)
    store.advance(TENANT, "b", Status.QUARANTINED, last_error="unknown cost center")
    store.advance(TENANT, "b", Status.TRANSFER_FAILED_REPORTED)
    store.advance(TENANT, "c", Status.PROPOSAL_CREATED, ifs_invoice_key="10/1")
    result = store.record_extracted(TENANT, [doc(i, "f2", gross_amount=Decimal("2")) for i in "abc"], run_id="r2")
    assert sorted(result.reopened) == ["a", "b"] and result.changed_after_proposal == ["c"]
    b = store.get_invoice(TENANT, "b")
    assert b is not None and (b.status, b.fingerprint, b.gross_amount, b.last_error, b.run_id) == (
        Status.EXTRACTED, "f2", Decimal("2"), None, "r2")
    c = store.get_invoice(TENANT, "c")
    assert c is not None and (c.status, c.fingerprint, c.gross_amount) == (Status.PROPOSAL_CREATED, "f1", Decimal("1"))


@pytest.mark.parametrize(
    ("path", "target", "moves"),
    [
        ([], Status.MAPPED, True),
        ([], Status.REPORTED, True),  # skipping ahead is still forward
        ([Status.MAPPED], Status.MAPPED, False),  # already there
        ([Status.ACKNOWLEDGED], Status.MAPPED, False),  # a stale writer cannot move it back
        ([Status.ACKNOWLEDGED], Status.PROPOSAL_CREATED, False),
        ([Status.REPORTED], Status.QUARANTINED, False),
        ([Status.MAPPED], Status.QUARANTINED, True),
        ([Status.QUARANTINED], Status.PROPOSAL_CREATED, False),  # only replay leaves quarantine
        ([Status.QUARANTINED], Status.TRANSFER_FAILED_REPORTED, True),
        ([], Status.TRANSFER_FAILED_REPORTED, False),
    ],
)
def test_transitions_only_move_forward(
    store: StateStore, path: list[Status], target: Status, moves: bool
) -> None:
    store.record_extracted(TENANT, [doc("1")])
    for step in path:
        assert store.advance(TENANT, "1", step)
    before = store.get_invoice(TENANT, "1")
    assert store.advance(TENANT, "1", target, run_id="late") is moves
    after = store.get_invoice(TENANT, "1")
    assert before is not None and after is not None
    assert after.status == (target if moves else before.status)
    assert after.run_id == ("late" if moves else before.run_id)  # fields change only with the move


def test_advance_refuses_unknown_fields_and_moving_to_extracted(store: StateStore) -> None:
    store.record_extracted(TENANT, [doc("1")])
    with pytest.raises(TypeError):
        store.advance(TENANT, "1", Status.MAPPED, fingerprint="x")
    with pytest.raises(ValueError):
        store.advance(TENANT, "1", Status.EXTRACTED)
    assert store.advance(TENANT, "missing", Status.MAPPED) is False


def test_a_writer_waiting_on_the_row_loses_to_the_one_that_committed(
    make_store: Callable[[], StateStore], store: StateStore,
) -> None:
    store.record_extracted(TENANT, [doc("1")])
    other = make_store()
    a_advanced, b_started = threading.Event(), threading.Event()
    result: dict[str, object] = {}

    def b() -> None:
        a_advanced.wait(10)
        b_started.set()
        result["b"] = other.advance(TENANT, "1", Status.PROPOSAL_CREATED, ifs_invoice_key="10/B")
        result["b_done"] = time.monotonic()

    thread = threading.Thread(target=b)
    thread.start()
    with store.transaction() as tx:
        result["a"] = tx.advance(TENANT, "1", Status.PROPOSAL_CREATED, ifs_invoice_key="10/A")
        a_advanced.set()
        b_started.wait(10)
        time.sleep(0.2)  # B is now blocked on our lock
        a_committed = time.monotonic()
    thread.join(10)
    assert (result["a"], result["b"]) == (True, False)
    assert result["b_done"] >= a_committed  # type: ignore[operator]
    assert store.get_invoice(TENANT, "1").ifs_invoice_key == "10/A"  # type: ignore[union-attr]


def test_two_engines_racing_each_invoice_have_exactly_one_winner(
    make_store: Callable[[], StateStore], store: StateStore,
) -> None:
    ids = [str(i) for i in range(30)]
    store.record_extracted(TENANT, [doc(i) for i in ids])
    stores, barrier = [store, make_store()], threading.Barrier(2)
    wins: list[list[str]] = [[], []]

    def run(n: int) -> None:
        barrier.wait()
        for i in ids:
            if stores[n].advance(TENANT, i, Status.PROPOSAL_CREATED, external_code=f"w{n}"):
                wins[n].append(i)

    threads = [threading.Thread(target=run, args=(n,)) for n in (0, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(wins[0] + wins[1], key=int) == ids
    for n in (0, 1):
        assert all(store.get_invoice(TENANT, i).external_code == f"w{n}" for i in wins[n])  # type: ignore[union-attr]


def test_unfinished_lists_what_only_the_ledger_remembers(store: StateStore) -> None:
    store.record_extracted(TENANT, [doc(i, last_updated=T0 + timedelta(hours=int(i))) for i in "12345"])
    store.advance(TENANT, "1", Status.ACKNOWLEDGED)
    store.advance(TENANT, "2", Status.PROPOSAL_CREATED)
    store.advance(TENANT, "3", Status.REPORTED)
    store.advance(TENANT, "4", Status.QUARANTINED)
    assert [r.invoice_id for r in store.unfinished(TENANT)] == ["1", "2"]
    # What still holds a window's watermark: anything not final in it.
    window = store.unfinished(TENANT, NOT_FINAL, since=T0 + timedelta(hours=2), until=T0 + timedelta(hours=6))
    assert sorted(r.invoice_id for r in window) == ["2", "5"]
    assert store.unfinished("other") == []


def test_unfinished_ids_stream_id_status_and_attempts_oldest_first(store: StateStore) -> None:
    ids = [f"{n:05d}" for n in range(4500)]  # more than one streamed chunk
    store.record_extracted(TENANT, [doc(i) for i in ids])
    store.record_extracted("other", [doc("elsewhere")])
    store.advance(TENANT, ids[0], Status.QUARANTINED)
    store.record_error(TENANT, ids[0], "Basware 404")
    store.advance(TENANT, ids[1], Status.ACKNOWLEDGED)
    store.advance(TENANT, ids[2], Status.REPORTED)

    streamed = list(store.unfinished_ids(TENANT, [Status.EXTRACTED, Status.QUARANTINED, Status.ACKNOWLEDGED]))
    whole = store.unfinished(TENANT, [Status.EXTRACTED, Status.QUARANTINED, Status.ACKNOWLEDGED])
    assert [i for i, _, _ in streamed] == [e.invoice_id for e in whole]
    assert len(streamed) == 4499 and ids[2] not in {i for i, _, _ in streamed}
    by_id = {i: (status, attempts) for i, status, attempts in streamed}
    assert by_id[ids[0]] == (Status.QUARANTINED, 1) and by_id[ids[1]] == (Status.ACKNOWLEDGED, 0)
    assert by_id[ids[3]] == (Status.EXTRACTED, 0)


def test_reopen_and_record_error(store: StateStore) -> None:
    store.record_extracted(TENANT, [doc("1"), doc("2")])
    assert store.record_error(TENANT, "1", "IFS 503", run_id="r1") == 1
    assert store.record_error(TENANT, "1", "IFS 503") == 2
    assert store.record_error(TENANT, "nope", "x") is None
    assert store.reopen(TENANT, "1") is False  # not quarantined
    store.advance(TENANT, "1", Status.QUARANTINED, last_error="unknown company")
    assert store.reopen(TENANT, "1", run_id="replay") is True
    row = store.get_invoice(TENANT, "1")
    assert row is not None and (row.status, row.attempts, row.last_error, row.run_id) == (
        Status.EXTRACTED, 2, None, "replay")


def test_status_counts(store: StateStore) -> None:
    store.record_extracted(TENANT, [doc(i) for i in "123"], run_id="r1")
    store.advance(TENANT, "1", Status.REPORTED, run_id="r2")
    counts = store.status_counts(TENANT)
    assert counts[Status.EXTRACTED] == 2 and counts[Status.REPORTED] == 1 and counts[Status.MAPPED] == 0
    assert store.status_counts(TENANT, run_id="r2")[Status.REPORTED] == 1
    assert sum(store.status_counts(TENANT, run_id="r2").values()) == 1


def test_control_totals_are_exact_decimals(store: StateStore) -> None:
    # 200 x 0.01 is 2.0000000000000013 in floats; the store must say 2.
    cents = [doc(f"c{i}", currency="EUR", net_amount=Decimal("0.01"), tax_amount=Decimal("0.0025"),
                 gross_amount=Decimal("0.0125"), last_updated=T0) for i in range(200)]
    big = doc("big", currency="EUR", net_amount=Decimal("123456789012.34"), tax_amount=Decimal("0"),
              gross_amount=Decimal("123456789012.34"), last_updated=T0 + timedelta(days=1))
    usd = doc("usd", currency="USD", net_amount=Decimal("0.10"), tax_amount=Decimal("0.20"),
              gross_amount=Decimal("0.30"), last_updated=T0)
    store.record_extracted(TENANT, [*cents, big, usd], run_id="r1")
    with store.transaction() as tx:
        for d in [*cents, big]:
            tx.advance(TENANT, d.invoice_id, Status.MAPPED, ifs_company="10", run_id="r2")
    totals = {(t.company, t.currency): t for t in store.control_totals(TENANT)}
    eur = totals[("10", "EUR")]
    assert (eur.count, eur.net, eur.tax, eur.gross) == (
        201, Decimal("123456789014.34"), Decimal("0.5"), Decimal("123456789014.84"))
    assert totals[(None, "USD")].gross == Decimal("0.30")
    window = store.control_totals(TENANT, since=T0, until=T0 + timedelta(hours=1), statuses=[Status.MAPPED])
    assert [(t.company, t.count, t.net) for t in window] == [("10", 200, Decimal("2"))]
    assert [t.count for t in store.control_totals(TENANT, run_id="r1")] == [1]
    assert store.control_totals("other") == []


def test_amounts_refuse_floats_and_extra_digits(store: StateStore) -> None:
    with pytest.raises(StatementError, match="float"):
        store.record_extracted(TENANT, [doc("1", net_amount=0.1)])
    with pytest.raises(StatementError, match="Inexact"):
        store.record_extracted(TENANT, [doc("1", net_amount=Decimal("0.00001"))])
    assert store.get_invoice(TENANT, "1") is None


def test_datetimes_round_trip_as_aware_utc(store: StateStore) -> None:
    local = datetime(2025, 3, 1, 9, 30, 15, 123456, tzinfo=timezone(timedelta(hours=2)))
    store.record_extracted(TENANT, [doc("1", last_updated=local)])
    row = store.get_invoice(TENANT, "1")
    assert row is not None
    for value in (row.basware_last_updated, row.created_at, row.updated_at):
        assert value is not None and value.tzinfo is UTC
    assert row.basware_last_updated == local and row.basware_last_updated.hour == 7
    assert row.basware_last_updated.microsecond == 123456
    with pytest.raises(Exception, match="naive"):
        store.record_extracted(TENANT, [doc("2", last_updated=datetime(2025, 3, 1))])
