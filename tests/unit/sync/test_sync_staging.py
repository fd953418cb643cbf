from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from ml_connector.sync.staging import Staging, batch_size_for, read_json, run_folder, write_batches
from ml_connector.sync.window import Window


def test_batches_are_written_under_a_safe_run_folder(tmp_path: Path) -> None:
    stage = Staging(tmp_path, "acme", "scheduled__2026-11-01T00:00:00+00:00")
    items = [{"invoice_id": str(n), "document": {"n": n}} for n in range(5)]
    refs = write_batches(stage, "batch", items, 2, {"catalog": "c.json"})
    assert [r["count"] for r in refs] == [2, 2, 1]
    assert refs[0]["ref"].startswith("acme/scheduled__2026-11-01T00_00_00_00_00-")
    assert refs[0]["ref"].endswith("/batch-0001.json")
    batch = read_json(tmp_path, refs[2]["ref"])
    assert batch == {"catalog": "c.json", "kind": "batch", "items": [{"invoice_id": "4", "document": {"n": 4}}]}
    assert run_folder("acme", "a") != run_folder("acme", "a?")  # sanitising never merges two runs
    with pytest.raises(ValueError):
        read_json(tmp_path, "../etc/passwd")


def test_batch_size_grows_to_stay_under_the_map_limit() -> None:
    assert batch_size_for(1000, 200) == 200
    assert batch_size_for(500_000, 200, 1024) == 489


def test_window_membership_and_round_trip() -> None:
    t = datetime(2026, 11, 1, tzinfo=UTC)
    regular = Window(False, t, t, None, t + timedelta(minutes=5))
    assert regular.contains(t + timedelta(seconds=1)) and not regular.contains(t) and regular.contains(None)
    backfill = Window(True, t - timedelta(minutes=5), t, t + timedelta(days=1))
    assert backfill.contains(t) and not backfill.contains(t + timedelta(days=1)) and not backfill.contains(None)
    assert Window.from_dict(backfill.to_dict()) == backfill
