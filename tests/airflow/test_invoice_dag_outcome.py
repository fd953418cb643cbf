"""A run that quarantined invoices is green in Airflow, yet must not look plain green: its asset event
carries the counts (moved, quarantined, deferred) and the tenant's alert webhook is told which invoices
wait in quarantine, with their Basware request ids. Each task ends its log with a short summary."""

from __future__ import annotations

import logging

import pytest
from dag_support import DAG_ID, TENANT, DagEnv, asset_events


def test_a_green_run_with_quarantines_emits_its_counts_and_alerts(dag_env: DagEnv,
                                                                  capfd: pytest.CaptureFixture[str],
                                                                  caplog: pytest.LogCaptureFixture) -> None:
    from airflow.utils.state import DagRunState

    # Tests run before this one in the same process (xdist) may have left logging set up for a command;
    # a task process starts fresh. The lines are read from what the task printed and what it logged.
    caplog.set_level(logging.INFO, logger="ml_connector")
    for name, logger in list(logging.root.manager.loggerDict.items()):
        if name.startswith("ml_connector") and isinstance(logger, logging.Logger):
            logger.disabled = False
    run = dag_env.run()
    assert run.state == DagRunState.SUCCESS
    invalid, valid = dag_env.invalid_ids(), dag_env.valid_ids()
    assert invalid, "the seed must quarantine at least one invoice"

    [event] = asset_events(DAG_ID, run.run_id)
    assert event["asset"] == f"mlc_{TENANT}_invoice_runs"
    assert (event["moved"], event["quarantined"], event["deferred"]) == (len(valid), len(invalid), 0)
    assert event["state"] == "success" and event["control_totals"] == "match"
    assert sorted(q["invoice_id"] for q in event["quarantined_invoices"]) == sorted(invalid)  # type: ignore[union-attr]

    [alert] = dag_env.receiver.alerts
    assert alert["kind"] == "quarantines" and alert["tenant"] == TENANT and alert["run_id"] == run.run_id
    assert alert["counts"]["quarantined"] == len(invalid) and alert["counts"]["moved"] == len(valid)
    sent = {e["client_request_id"]: e["request_id"] for e in dag_env.sandbox.basware.request_log}
    for named in alert["invoices"]:
        assert named["invoice_id"] in invalid and named["invoice_number"] and named["reason_code"]
        # The failure reported to Basware, by the id we sent and the id Basware answered with.
        assert named["basware_state"] == "TransferFailed"
        assert sent[named["client_request_id"]] == named["basware_request_id"]
    assert "replay" in alert["next_step"]

    logs = capfd.readouterr()
    out = logs.out + logs.err + caplog.text
    for task in ("extract:", "map_dimensions of batch", "upsert_proposals of batch", "report_back of batch"):
        assert f"Tenant {TENANT} run {run.run_id}, {task}" in out, task
    assert f"Tenant {TENANT} run {run.run_id}: SUCCESS" in out
    # The warnings a new user saw in every task log have their causes fixed.
    for warning in ("according to RFC3986", "Skipping masking for a secret"):
        assert warning not in out, warning
    # Per-request lines are DEBUG: a task log at INFO holds the business lines only.
    assert " -> 200 in " not in out and " -> 201 in " not in out
    number = alert["invoices"][0]["invoice_number"]
    assert f"(no. {number})" in out, "invoices are named by number as well as id"

    # A second run moves nothing and quarantines nothing new: no new alert, an event with zeros.
    again = dag_env.run()
    [second] = asset_events(DAG_ID, again.run_id)
    assert (second["moved"], second["quarantined"]) == (0, 0)
    assert len(dag_env.receiver.alerts) == 1
