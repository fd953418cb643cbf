"""Two runs of the tenant's DAG at the same time against one state store (max_active_runs does not
apply to dag.test(); in production a backfill or a manual trigger can overlap a scheduled run)."""

from __future__ import annotations

import time

import pytest
from dag_support import DagEnv, wait_for

UPSERT_STARTED = "starting task_id=process_batch.upsert_proposals"


def _two_runs_at_once(env: DagEnv) -> None:
    # The first run's first proposal create is held in IFS, so the second run reaches the same invoice
    # while the first one's create is still in flight: its lookup-before-create alone would miss it.
    hold = env.fault(kind="slow", delay=120, times=1, system="ifs", method="POST", path=r"ManSuppInvoiceSet$")
    first = env.spawn()
    wait_for(lambda: env.fired(hold) or first.proc.poll() is not None, 120, "the first run's first create")
    second = env.spawn()
    wait_for(lambda: UPSERT_STARTED in second.output() or second.proc.poll() is not None, 120,
             "the second run to reach upsert_proposals")
    time.sleep(2)  # room for the second run to look up and create the held invoice, if nothing stops it
    env.clear_faults()
    states = [first.wait(), second.wait()]
    assert states == ["success", "success"], "\n\n".join(c.output()[-3000:] for c in (first, second))
    env.assert_exactly_once()
    assert [a for a in env.receiver.alerts if a["kind"] != "quarantines"] == []  # no failure to alert
    assert len(env.receiver.alerts) == 1, "the invalid invoice is quarantined, and alerted, once"


@pytest.mark.postgres
def test_overlapping_runs_on_a_postgres_state_store_create_each_proposal_once(pg_dag_env: DagEnv) -> None:
    _two_runs_at_once(pg_dag_env)


def test_overlapping_runs_on_a_sqlite_state_store_create_each_proposal_once(dag_env: DagEnv) -> None:
    _two_runs_at_once(dag_env)
