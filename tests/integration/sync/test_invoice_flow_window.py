"""Watermarks, backfill windows and overlapping runs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from ml_connector.sync.values import parse_timestamp
from mlc_sandbox.seed import DEFAULT_ANCHOR

from .support import Env


def watermark(env: Env) -> datetime | None:
    return env.store.get_watermark(env.tenant_id, "invoices")


def test_watermark_follows_each_complete_window(env: Env) -> None:
    first = env.run()
    w1 = watermark(env)
    assert w1 is not None and w1 == parse_timestamp(first["watermark"]["after"]) and w1 < DEFAULT_ANCHOR
    env.add_document(900)
    env.add_document(901)
    second = env.run()
    assert second["counts"]["documents"] == 2 and second["counts"]["created"] == 2  # not the old twelve again
    w2 = watermark(env)
    assert w2 is not None and w2 > w1
    assert second["watermark"]["reason"] == "window complete"


def test_backfill_creates_nothing_twice_and_never_moves_the_watermark_back(env: Env) -> None:
    seed_window = (DEFAULT_ANCHOR - timedelta(days=31), DEFAULT_ANCHOR)
    backfill = env.run(window=seed_window)
    assert backfill["counts"]["created"] == 12
    assert not backfill["watermark"]["moved"]  # no watermark yet: a window cannot vouch for what came before
    regular = env.run()
    assert regular["counts"]["created"] == 0 and len(env.proposals()) == 12
    w = watermark(env)
    assert w is None  # nothing new was read, so nothing to move to

    env.add_document(900)
    env.run()
    w = watermark(env)
    assert w is not None
    again = env.run(window=seed_window)  # an old window: read again, nothing to do, watermark stays
    assert again["counts"]["created"] == 0 and watermark(env) == w
    past = env.run(window=(DEFAULT_ANCHOR - timedelta(days=90), DEFAULT_ANCHOR - timedelta(days=60)))
    assert past["counts"]["documents"] == 0 and watermark(env) == w


def test_explicit_window_moves_the_watermark_only_when_it_reaches_back_to_it(env: Env) -> None:
    env.run()
    w1 = watermark(env)
    assert w1 is not None
    env.add_document(900)
    now = datetime.now(UTC)
    detached = env.run(window=(now - timedelta(hours=1), now + timedelta(hours=1)))
    assert detached["counts"]["created"] == 1 and watermark(env) == w1
    assert detached["watermark"]["reason"] == "explicit window does not reach back to the watermark"
    env.add_document(901)
    joined = env.run(window=(w1 - timedelta(days=1), datetime.now(UTC) + timedelta(hours=1)))
    assert joined["counts"]["created"] == 1 and joined["watermark"]["moved"]
    assert watermark(env) > w1  # type: ignore[operator]


def test_overlapping_runs_create_each_proposal_once(env: Env) -> None:
    a = env.extract("run-a")
    b = env.extract("run-b")  # a second run starts before the first processed anything
    assert a["counts"]["inserted"] == 12 and b["counts"]["unchanged"] == 12
    results_b = env.process(b)
    results_a = env.process(a)
    assert sum(r["created"] for r in results_b) == 12
    assert sum(r["skipped"] for r in results_a) == 12 and sum(r["created"] for r in results_a) == 0
    assert env.finalize(b, results_b)["state"] == "success"
    assert env.finalize(a, results_a)["control_totals"] == []  # run a transferred nothing itself
    assert len(env.proposals()) == 12
