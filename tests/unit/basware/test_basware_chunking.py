from __future__ import annotations

import json

from ml_connector.basware.chunking import chunk_records


def records(n: int, pad: int = 10) -> list[dict[str, str]]:
    return [{"externalCode": f"V{i:04d}", "name": "x" * pad} for i in range(n)]


def test_chunks_by_count() -> None:
    chunks = list(chunk_records(records(450), max_count=200))
    assert [len(c.records) for c in chunks] == [200, 200, 50]
    assert [json.loads(c.body) for c in chunks] == [c.records for c in chunks]


def test_chunks_by_bytes_and_every_body_fits() -> None:
    recs = records(50, pad=100)
    chunks = list(chunk_records(recs, max_count=500, max_bytes=1000))
    assert len(chunks) > 1
    assert all(len(c.body) <= 1000 for c in chunks)
    assert [r for c in chunks for r in c.records] == recs


def test_oversized_record_is_set_aside_not_sent() -> None:
    recs = [*records(2), {"externalCode": "HUGE", "name": "x" * 5000}, *records(1)]
    chunks = list(chunk_records(recs, max_count=500, max_bytes=1000))
    oversized = [c for c in chunks if c.oversized]
    assert [c.records[0]["externalCode"] for c in oversized] == ["HUGE"]
    assert sum(len(c.records) for c in chunks if not c.oversized) == 3


def test_empty_input_yields_nothing() -> None:
    assert list(chunk_records([], max_count=10)) == []
