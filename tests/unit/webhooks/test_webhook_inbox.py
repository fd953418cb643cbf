"""settle_deliveries: inbox rows close once their document is final in the ledger, not before."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ml_connector.state import ExtractedInvoice, StateStore, Status
from ml_connector.webhooks import settle_deliveries


@pytest.fixture
def store(tmp_path: Path) -> Iterator[StateStore]:
    s = StateStore(f"sqlite:///{tmp_path / 'state.db'}")
    s.migrate()
    yield s
    s.dispose()


def test_only_deliveries_of_final_documents_are_marked(store: StateStore) -> None:
    store.record_extracted("acme", [ExtractedInvoice(i, f"fp-{i}") for i in ("A", "B", "C")])
    for status in (Status.MAPPED, Status.PROPOSAL_CREATED, Status.ACKNOWLEDGED, Status.REPORTED):
        store.advance("acme", "A", status)
    store.advance("acme", "B", Status.QUARANTINED)
    store.advance("acme", "C", Status.MAPPED)  # still in flight
    for delivery, doc in (("d-a", "A"), ("d-b", "B"), ("d-c", "C"), ("d-x", "X")):  # X: no run saw it yet
        assert store.record_delivery("acme", delivery, doc)
    store.record_delivery("other", "d-a", "A")  # another tenant's row is not touched

    assert settle_deliveries(store, "acme") == 2
    assert {d.delivery_id for d in store.pending_deliveries("acme")} == {"d-c", "d-x"}
    assert [d.delivery_id for d in store.pending_deliveries("other")] == ["d-a"]
    assert settle_deliveries(store, "acme") == 0  # idempotent
