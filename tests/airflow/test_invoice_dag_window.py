"""Windows at DAG level: backfill by run params, the watermark, and a quarantined invoice replayed by
the next run once its mapping is fixed and Basware re-sends it."""

from __future__ import annotations

from datetime import timedelta

import yaml
from dag_support import INVOICES, TENANT, DagEnv

from ml_connector.state import Status
from ml_connector.sync.invoices import list_quarantine


def _run_record(env: DagEnv, run_id: str) -> dict[str, object]:
    store = env.store()
    try:
        record = store.get_run(TENANT, run_id)
    finally:
        store.dispose()
    assert record is not None
    return {"state": record.state, **record.counts}


def test_backfill_params_read_an_older_window_create_nothing_twice_and_keep_the_watermark(
        dag_env: DagEnv) -> None:
    ds = dag_env.sandbox.dataset
    updated = [ds.invoice_last_updated(i) for i in range(INVOICES)]
    ids = [ds.invoice_id(i) for i in range(INVOICES)]
    # Earlier runs left the watermark at the 11th document: regular runs never read further back.
    store = dag_env.store()
    try:
        store.advance_watermark(TENANT, "invoices", updated[10], run_id="before-this-test")
    finally:
        store.dispose()
    newer, older = set(ids[10:]), set(ids[:10])

    regular = dag_env.run()
    assert regular.state == "success"
    ref = dag_env.sandbox.ifs.names.external_ref
    assert {p[ref] for p in dag_env.sandbox.ifs.proposals()} == newer & set(dag_env.valid_ids())
    assert dag_env.watermark() == updated[-1]

    # A window over every seed document: the newer ones are done, the older ones were never read.
    window = {"window_start": (updated[0] - timedelta(days=1)).isoformat(),
              "window_end": (updated[-1] + timedelta(hours=1)).isoformat()}
    backfill = dag_env.run(run_conf=window)
    assert backfill.state == "success"
    counts = _run_record(dag_env, backfill.run_id)
    assert counts["created"] == len(older & set(dag_env.valid_ids())) and counts["documents"] == len(older)
    assert dag_env.watermark() == updated[-1]  # the backfill's documents are older: it never moves back
    dag_env.assert_exactly_once()

    again = dag_env.run(run_conf=window)  # the same window once more: nothing left to do
    assert again.state == "success" and _run_record(dag_env, again.run_id)["created"] == 0
    assert dag_env.watermark() == updated[-1]
    dag_env.assert_exactly_once()


def test_quarantined_invoice_is_transferred_by_the_next_run_once_fixed_and_re_sent(dag_env: DagEnv) -> None:
    first = dag_env.run()
    assert first.state == "success"  # a quarantined invoice does not fail the run
    [invalid] = dag_env.invalid_ids()
    store = dag_env.store()
    try:
        [entry] = list_quarantine(store, TENANT)
    finally:
        store.dispose()
    assert (entry["invoice_id"], entry["reason_code"]) == (invalid, "unknown_company")
    state = dag_env.sandbox.basware.document_state(invalid)
    assert state["processingStatus"] == "TransferFailed"
    assert "unknown_company" in state["transferResponses"][0]["responseMessage"]

    # The fix: the tenant maps the unknown company code; the AP team re-sends the invoice.
    document = state["document"]
    company = next(c.ifs_company for c in dag_env.sandbox.dataset.companies
                   if c.currency == document["currencyCode"])
    path = dag_env.tmp / "tenants.yaml"
    config = yaml.safe_load(path.read_text())
    config["tenants"][0]["companies"][document["companyCode"]] = company
    path.write_text(yaml.safe_dump(config))
    dag_env.sandbox.basware.set_document_status(invalid, "WaitingForTransfer")

    second = dag_env.run()
    assert second.state == "success"
    assert _run_record(dag_env, second.run_id)["reopened"] == 1
    store = dag_env.store()
    try:
        assert list_quarantine(store, TENANT) == []
    finally:
        store.dispose()
    assert dag_env.ledger()[invalid] is Status.REPORTED
    state = dag_env.sandbox.basware.document_state(invalid)
    assert state["processingStatus"] == "Transferred"
    assert [r["success"] for r in state["transferResponses"]] == [False, True]
    assert dag_env.sandbox.ifs.duplicate_proposals() == {}
    assert sorted(p[dag_env.sandbox.ifs.names.external_ref] for p in dag_env.sandbox.ifs.proposals()) == sorted(
        [*dag_env.valid_ids(), invalid])
