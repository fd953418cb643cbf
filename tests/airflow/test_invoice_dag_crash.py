"""Exactly once when the worker dies: the DAG runs in a child process, a scripted `slow` fault holds it
at one step boundary, the child's whole process group is SIGKILLed there, and a NEW DAG run (dag.test()
again) must finish every invoice exactly once.

A new run, not a retry of the dead one: with no scheduler, nothing ever notices that the dead run's task
instances are gone, so they stay "running" in the metadata DB (asserted below); in production the
scheduler's zombie detection fails them and the next scheduled run does what this rerun does.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from dag_support import TENANT, DagEnv, latest_run_states, wait_for

from ml_connector.config import load_config
from ml_connector.state import Status
from ml_connector.sync.invoices import WORKERS_PER_SLOT

TransferInProgress = "TransferInProgress"
# Invoices a stage holds at once per tenant: the workers of a concurrent stage (concurrency x workers per
# request slot). Each may have had its request answered and not yet recorded when the worker dies.
IN_FLIGHT = load_config().tenant(TENANT).concurrency.workers * WORKERS_PER_SLOT


def _nothing_recorded(env: DagEnv) -> None:
    assert env.ledger() == {}
    assert env.sandbox.ifs.proposals() == []


def _some_proposals_created(env: DagEnv) -> None:
    proposals = env.sandbox.ifs.proposals()
    assert 0 < len(proposals) < len(env.valid_ids())
    # The held $batch was one proposal's whole change set (atomic): IFS holds no half-written proposal.
    assert all(p["Objstate"] == "Balanced" for p in proposals)
    assert set(env.ledger().values()) <= {Status.MAPPED, Status.PROPOSAL_CREATED, Status.QUARANTINED}


def _created_not_acknowledged(env: DagEnv) -> None:
    ledger = env.ledger()
    assert len(env.sandbox.ifs.proposals()) == len(env.valid_ids())  # upsert_proposals had finished
    assert Status.PROPOSAL_CREATED in ledger.values()
    # The held acknowledge reached Basware after the worker died: Basware shows the document in
    # progress (no longer WaitingForTransfer) while the ledger still says proposal_created.
    stranded = [i for i, s in ledger.items() if s is Status.PROPOSAL_CREATED
                and env.sandbox.basware.document_status(i) == TransferInProgress]
    # The held one at least; with concurrency on, acknowledges in flight beside it may be stranded too.
    assert 1 <= len(stranded) <= IN_FLIGHT, stranded


def _acknowledged_not_reported(env: DagEnv) -> None:
    ledger = env.ledger()
    acknowledged = [i for i, s in ledger.items() if s is Status.ACKNOWLEDGED]
    # The held one at least; with concurrency on, responses in flight beside it may be unrecorded too.
    assert 1 <= len(acknowledged) <= IN_FLIGHT, ledger
    # Acknowledged, so no longer listed as WaitingForTransfer: only the ledger can resume it. Whether
    # the held response itself landed after the kill (Transferred) depends on when the server
    # notices the dead client; the rerun must be right either way.
    assert all(env.sandbox.basware.document_status(i) in (TransferInProgress, "Transferred") for i in acknowledged)


# boundary -> (the fault that holds the run there, what the systems must show after the kill)
BOUNDARIES: dict[str, tuple[dict[str, Any], Callable[[DagEnv], None]]] = {
    # extract: the Basware listing is held; the run is recorded in the store, no invoice yet.
    "mid-extract": ({"system": "basware", "method": "GET", "path": r"^/v1/accountingDocuments$"},
                    _nothing_recorded),
    # upsert_proposals: the $batch change set of a later proposal is held; earlier proposals are complete.
    "mid-upsert": ({"system": "ifs", "method": "POST", "path": r"/\$batch$", "skip": 4},
                   _some_proposals_created),
    # report_back: every proposal exists in IFS, the 4th acknowledge is held.
    "after-ifs-create-before-acknowledge": (
        {"system": "basware", "method": "POST", "path": r"/acknowledge$", "skip": 3},
        _created_not_acknowledged),
    # report_back: the 4th document is acknowledged, its transfer response is held.
    "after-acknowledge-before-transfer-response": (
        {"system": "basware", "method": "POST", "path": r"/transferResponses$", "skip": 3},
        _acknowledged_not_reported),
}


@pytest.mark.parametrize("boundary", list(BOUNDARIES))
def test_worker_killed_at_a_step_boundary_then_a_new_run_finishes_exactly_once(dag_env: DagEnv,
                                                                              boundary: str) -> None:
    where, reached = BOUNDARIES[boundary]
    hold = dag_env.fault(kind="slow", delay=120, times=1, **where)
    child = dag_env.spawn()
    wait_for(lambda: dag_env.fired(hold) or child.proc.poll() is not None, 120,
             f"the run to reach {boundary}")
    assert child.proc.poll() is None, f"the run ended before {boundary}:\n{child.output()[-3000:]}"
    child.kill()
    dag_env.clear_faults()  # the held request goes on now; the worker that sent it is gone

    reached(dag_env)
    state, tis = latest_run_states()
    assert state == "running" and "running" in tis.values(), (state, tis)

    rerun = dag_env.run()
    assert rerun.state == "success"
    dag_env.assert_exactly_once()
    assert dag_env.watermark() is not None
    # A lost worker is no task failure; the rerun is clean (the invalid invoice's quarantine alert aside).
    assert [a for a in dag_env.receiver.alerts if a["kind"] != "quarantines"] == []
