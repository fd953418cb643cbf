"""The IFS simulator's indexes hand a query the rows a full scan would: after inserts, updates,
deletes and rolled-back change sets, for equality, any-of, range and mixed filters."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from mlc_sandbox.ifs.clock import SimClock
from mlc_sandbox.ifs.entities import Schema
from mlc_sandbox.ifs.filter_plan import constraints_of
from mlc_sandbox.ifs.odata_filter import compile_filter
from mlc_sandbox.ifs.store import Database

T0 = datetime(2026, 1, 1, tzinfo=UTC)
NAMES = Schema().names
TEMPLATES = [
    "{ref} eq 'ref-3'",
    "Company eq '20' and ({ref} eq 'ref-1' or {ref} eq 'ref-7' or {ref} eq 'nope')",
    "(Company eq '10' or Company eq '30') and {ref} eq 'ref-2'",
    "{ref} eq null",
    "'ref-4' eq {ref}",
    "ModifiedDate gt 2026-01-01T00:20:00Z",
    "ModifiedDate ge 2026-01-01T00:10:00Z and ModifiedDate lt 2026-01-01T00:30:00Z and Company eq '10'",
    "2026-01-01T00:40:00Z lt ModifiedDate",
    "InvoiceId eq 3 or Company eq '20'",  # an or of two properties: no index, a scan
    "not ({ref} eq 'ref-1')",
    "{net} gt 500 and Company eq '30'",
    "Objstate eq IfsApp.ManSuppInvoiceHandling.ManSuppInvoiceState'Balanced'",
    "contains({ref}, '1') and Company eq '10'",
]
FILTERS = [t.format(ref=NAMES.external_ref, net=NAMES.net) for t in TEMPLATES]


def scan(db: Database, entity_set: str, text: str) -> list[int]:
    etype = db.schema.by_set[entity_set]
    predicate = compile_filter(text, etype, T0)
    return sorted(r.seq for r in db.store(entity_set).rows.values() if predicate(r.values))


def indexed(db: Database, entity_set: str, text: str) -> list[int]:
    etype = db.schema.by_set[entity_set]
    predicate = compile_filter(text, etype, T0)
    return sorted(r.seq for r in db.store(entity_set).matching(constraints_of(text), predicate))


class Clock(SimClock):
    def __init__(self) -> None:
        super().__init__(T0)
        self.at = T0

    def now(self) -> datetime:
        return self.at


def invoice(rng: random.Random, n: int) -> dict[str, object]:
    return {"Company": rng.choice(["10", "20", "30"]), "InvoiceId": n, NAMES.invoice_supplier: "S1",
            "InvoiceNo": f"N{n}", "InvoiceDate": T0.date(), NAMES.net: Decimal(rng.randint(0, 1000)),
            NAMES.vat: Decimal(0), NAMES.external_ref: rng.choice([None, *(f"ref-{i}" for i in range(10))]),
            "Objstate": rng.choice(["Preliminary", "Balanced"])}


@pytest.mark.parametrize("seed", range(5))
def test_indexed_results_equal_a_full_scan(seed: int) -> None:
    rng = random.Random(seed)
    clock = Clock()
    db = Database(clock, Schema())
    etype = db.schema.invoice
    store = db.store(etype.entity_set)
    for text in FILTERS[:3]:  # build some indexes early, so that later writes must keep them up to date
        assert indexed(db, etype.entity_set, text) == scan(db, etype.entity_set, text)
    for step in range(400):
        clock.at = T0 + timedelta(seconds=7 * step)
        rows = list(store.rows.values())
        action = rng.random()
        if action < 0.5 or not rows:
            db.insert(etype, invoice(rng, step), "u")
        elif action < 0.75:
            changes = invoice(rng, 0)
            del changes["InvoiceId"], changes["Company"]
            db.update(etype, rng.choice(rows), {k: v for k, v in changes.items() if rng.random() < 0.5}, "u")
        elif action < 0.85:
            db.delete(etype, rng.choice(rows), "u")
        else:  # a change set that is rolled back: every index must forget what it did
            undo = db.snapshot()
            db.insert(etype, invoice(rng, 10_000 + step), "u")
            db.update(etype, rng.choice(rows), {NAMES.external_ref: "ref-rolled-back"}, "u")
            db.set_derived(etype, rng.choice(rows), "Objstate", "Balanced")
            db.delete(etype, rng.choice(rows), "u")
            db.restore(undo)
        if step % 25 == 0:
            for text in FILTERS:
                assert indexed(db, etype.entity_set, text) == scan(db, etype.entity_set, text), text
    for text in [*FILTERS, f"{NAMES.external_ref} eq 'ref-rolled-back'"]:
        assert indexed(db, etype.entity_set, text) == scan(db, etype.entity_set, text), text


def test_an_index_narrows_the_rows_a_query_reads() -> None:
    db = Database(Clock(), Schema())
    etype = db.schema.invoice
    rng = random.Random(1)
    for n in range(2000):
        db.insert(etype, {**invoice(rng, n), NAMES.external_ref: f"x-{n}"}, "u")
    store = db.store(etype.entity_set)
    ref = NAMES.external_ref
    found = store.indexes.candidates(store.rows, constraints_of(f"{ref} eq 'x-5' or {ref} eq 'x-9'"))
    assert found is not None and sorted(r.values[ref] for r in found) == ["x-5", "x-9"]
    assert store.indexes.candidates(store.rows, constraints_of("InvoiceId eq 3 or Company eq '20'")) is None


def test_max_of_follows_inserts_deletes_and_rollbacks() -> None:
    db = Database(Clock(), Schema())
    etype = db.schema.invoice
    store = db.store(etype.entity_set)
    rng = random.Random(2)
    for n in (1, 2, 3):
        db.insert(etype, {**invoice(rng, n), "Company": "10"}, "u")
    assert store.max_of("InvoiceId", Company="10") == 3
    db.insert(etype, {**invoice(rng, 4), "Company": "10"}, "u")
    assert store.max_of("InvoiceId", Company="10") == 4
    undo = db.snapshot()
    db.insert(etype, {**invoice(rng, 5), "Company": "10"}, "u")
    assert store.max_of("InvoiceId", Company="10") == 5
    db.restore(undo)
    assert store.max_of("InvoiceId", Company="10") == 4
    db.delete(etype, store.get(("10", 4)), "u")  # type: ignore[arg-type]
    assert store.max_of("InvoiceId", Company="10") == 3
    assert store.max_of("InvoiceId", Company="99") is None
