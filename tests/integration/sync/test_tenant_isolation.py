"""Two tenants in one state store, each on its own Basware and IFS: one tenant's runs, ledger, watermark,
quarantine, inbox and replays are never visible to the other and never change the other's state."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from ml_connector.sync import invoices
from ml_connector.sync.window import STREAM as INVOICE_STREAM

from .support import Env, demo_tenant, make_env


@pytest.fixture
def pair(tmp_path: Path) -> Iterator[tuple[Env, Env]]:
    url = f"sqlite:///{tmp_path / 'shared-state.db'}"
    other = demo_tenant().model_copy(update={"tenant_id": "other", "ifs_conn_id": "mlc_other_ifs",
                                             "basware_conn_id": "mlc_other_basware"})
    first, second = make_env(tmp_path / "a", url), make_env(tmp_path / "b", url, other, seed=7)
    try:
        yield next(first), next(second)
    finally:
        first.close()
        second.close()


def _snapshot(env: Env) -> dict[str, Any]:
    """Every row of the shared store that names the env's tenant, table by table."""
    meta = sa.MetaData()
    meta.reflect(env.store.engine)
    rows: dict[str, Any] = {}
    with env.store.engine.connect() as conn:
        for table in meta.sorted_tables:
            if "tenant_id" in table.c:
                found = conn.execute(sa.select(table).where(table.c.tenant_id == env.tenant_id)).all()
                rows[table.name] = sorted(map(repr, found))
    return rows


def test_one_tenants_run_and_replay_leave_the_other_untouched(pair: tuple[Env, Env]) -> None:
    a, b = pair
    bad = a.add_document(902, taxSum2=5.0)  # unbalanced: quarantined
    a.store.record_delivery(a.tenant_id, "task-a", bad, {"taskId": "task-a"})
    before_b = _snapshot(b)
    first = a.run()
    assert first["state"] == "success" and first["counts"]["quarantined"] == 1, first
    assert _snapshot(b) == before_b  # nothing of a's run is b's
    assert invoices.list_quarantine(b.store, b.tenant_id) == []
    assert b.store.get_invoice(b.tenant_id, bad) is None
    assert b.store.get_watermark(b.tenant_id, INVOICE_STREAM) is None
    assert b.store.pending_deliveries(b.tenant_id) == []
    assert [q["invoice_id"] for q in invoices.list_quarantine(a.store, a.tenant_id)] == [bad]

    # b replays "a's" invoice by id, and all of its own: a's quarantine entry stays as it is.
    before_a = _snapshot(a)
    replayed = b.replay(bad)["results"]
    assert all(r["outcome"] != "replayed" for r in replayed.values()), replayed
    b.replay()
    second = b.run()
    assert second["state"] == "success" and second["counts"]["created"] == len(b.proposals()), second
    after_a = _snapshot(a)
    assert after_a == before_a, "b's replay or run changed a's rows"
    assert a.store.get_invoice(a.tenant_id, bad) is not None
    assert set(a.proposals()).isdisjoint(b.proposals())  # each tenant wrote only to its own IFS


def test_a_task_handed_the_other_tenants_batch_or_extract_result_refuses_it(pair: tuple[Env, Env]) -> None:
    """What a task gets through XCom is a staging reference and a run result: one crossed to the other
    tenant's task (a wrong XCom pull, an edited run) must not send a's invoices to b's IFS with b's
    credentials, nor move b's watermark by a's window."""
    from ml_connector.sync.errors import TenantMismatch

    a, b = pair
    extracted = a.extract("run-a")
    assert extracted["batches"], extracted
    before_b = _snapshot(b)
    with pytest.raises(TenantMismatch, match="belongs to tenant 'demo', not 'other'"):
        invoices.process_batch(b.context("run-b"), a.staging, extracted["batches"][0])
    with pytest.raises(TenantMismatch):
        invoices.finalize(b.context("run-b"), extracted, [])
    assert b.proposals() == {} and _snapshot(b) == before_b
    # a's own tasks take it as always.
    assert a.finalize(extracted, a.process(extracted))["state"] == "success"
