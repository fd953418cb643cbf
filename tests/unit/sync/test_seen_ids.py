"""The compact set of ids an extract has seen: the same answers as a set of str, across merges."""

from __future__ import annotations

from ml_connector.sync.seen_ids import MERGE_AT, SeenIds


def test_it_answers_as_a_set_of_str_would_across_merges() -> None:
    ids = [f"a6ac7d9e-{n:04x}-4d1b-9d63-{n:012x}" for n in range(3 * MERGE_AT + 17)]
    seen, plain = SeenIds(), set()
    for n, invoice_id in enumerate(ids):
        seen.add(invoice_id)
        plain.add(invoice_id)
        if n % 3 == 0:
            seen.add(ids[n // 2])  # again: no double count
        assert len(seen) == len(plain)
    assert all(i in seen for i in ids)
    assert not any(f"other-{n}" in seen for n in range(5000))
    assert 42 not in seen and None not in seen


def test_instances_are_independent() -> None:
    first, second = SeenIds(), SeenIds()
    first.add("INV-1")
    assert "INV-1" in first and "INV-1" not in second and len(second) == 0
