"""`trace`: one invoice's story, in order, from the state store; by Basware id or invoice number."""

from __future__ import annotations

from ml_connector.cli.reports import trace_lines
from ml_connector.sync.trace import trace_invoices

from .support import Env


def test_a_transferred_invoice_tells_its_steps_in_order(env: Env) -> None:
    invoice_id = env.add_document()
    env.run()
    [trace] = trace_invoices(env.store, env.tenant_id, invoice_id)
    assert trace.status == "reported" and trace.quarantine is None
    assert [s.event for s in trace.steps] == ["extracted", "mapped", "proposal_created", "acknowledged", "reported"]
    created = next(s for s in trace.steps if s.event == "proposal_created")
    assert trace.ifs_invoice_key and created.detail["ifs_invoice_key"] == trace.ifs_invoice_key
    assert all(s.run_id for s in trace.steps)
    assert "post it there" in trace.next_step
    number = env.document(invoice_id)["document"]["invoiceNumber"]
    assert trace.invoice_number == number
    assert [t.invoice_id for t in trace_invoices(env.store, env.tenant_id, number)] == [invoice_id]
    text = trace_lines(trace)
    assert invoice_id in text and trace.ifs_invoice_key in text and "proposal_created" in text

    # The acknowledge and transfer response as Basware saw them: the id we sent and the id it answered with.
    seen = {(e["path"].rsplit("/", 1)[-1], e["client_request_id"]): e["request_id"]
            for e in env.sb.basware.request_log if invoice_id in e["path"] and e["method"] == "POST"}
    calls = [(c["call"], c["state"]) for c in trace.basware_requests]
    assert calls == [("acknowledge", "acknowledged"), ("transferResponse", "Transferred")]
    for call, path in zip(trace.basware_requests, ("acknowledge", "transferResponses"), strict=True):
        assert seen[(path, call["client_request_id"])] == call["basware_request_id"]
        assert call["client_request_id"] in text and call["basware_request_id"] in text


def test_a_quarantined_then_replayed_invoice_shows_reason_replay_and_outcome(env: Env) -> None:
    invoice_id = env.sb.basware.add_documents(1, "unknown_cost_center")[0]
    env.run()
    [held] = trace_invoices(env.store, env.tenant_id, invoice_id)
    assert held.status == "transfer_failed_reported"
    assert held.quarantine is not None and held.quarantine["reason_code"] == "invalid_dimension"
    assert held.quarantine["resolved_at"] is None
    assert f"ml-connector replay --tenant {env.tenant_id} --invoice {invoice_id}" in held.next_step
    quarantined = next(s for s in held.steps if s.event == "quarantined")
    assert "last_error" in quarantined.detail

    doc = env.document(invoice_id)["document"]
    company = env.tenant.companies[doc["companyCode"]]
    env.add_code_part_value(company, env.tenant.dimensions[company]["costCenterCode"], "CC-DOES-NOT-EXIST")
    env.sb.basware.set_document_status(invoice_id, "WaitingForTransfer")
    env.replay(invoice_id)

    [done] = trace_invoices(env.store, env.tenant_id, invoice_id)
    events = [s.event for s in done.steps]
    # Re-sent by the AP team, the document is a new version: the replay re-extracts it.
    assert events == ["extracted", "quarantined", "acknowledged", "transfer_failed_reported", "replayed",
                      "re-extracted", "mapped", "proposal_created", "acknowledged", "reported"]
    # Both rounds of reporting, each call with our request id and Basware's.
    assert [(c["call"], c["state"]) for c in done.basware_requests] == [
        ("acknowledge", "acknowledged"), ("transferResponse", "TransferFailed"),
        ("acknowledge", "acknowledged"), ("transferResponse", "Transferred")]
    assert all(c["client_request_id"] and c["basware_request_id"] for c in done.basware_requests)
    assert done.quarantine is not None and done.quarantine["resolved_at"] and done.quarantine["replays"] == 1


def test_other_tenants_and_unknown_ids_find_nothing(env: Env) -> None:
    invoice_id = env.add_document()
    env.run()
    assert trace_invoices(env.store, "someone-else", invoice_id) == []
    assert trace_invoices(env.store, env.tenant_id, "no-such-invoice") == []
