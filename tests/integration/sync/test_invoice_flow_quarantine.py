"""Invalid invoices are quarantined and reported as failed transfers; the rest go on; replay."""

from __future__ import annotations

from ml_connector.state import Status
from ml_connector.sync import invoices
from mlc_sandbox.seed import INVALID_KINDS

from .support import Env

EXPECTED_REASON = {"unknown_company": "unknown_company", "unknown_cost_center": "invalid_dimension",
                   "unbalanced": "unbalanced", "unknown_account": "unknown_account", "malformed": "malformed"}


def test_invalid_documents_are_quarantined_with_reasons_and_the_others_succeed(env: Env) -> None:
    bad = {kind: env.sb.basware.add_documents(1, kind)[0] for kind in INVALID_KINDS}
    bad["unknown_supplier"] = env.add_document(supplierCode="99999")
    result = env.run()
    counts = result["counts"]
    assert (counts["created"], counts["reported"]) == (12, 12)
    assert (counts["quarantined"], counts["failures_reported"]) == (6, 6)
    assert result["state"] == "success" and result["watermark"]["moved"]  # quarantined-and-reported is final
    listed = {q["invoice_id"]: q for q in invoices.list_quarantine(env.store, env.tenant_id)}
    assert set(listed) == set(bad.values())
    for kind, invoice_id in bad.items():
        entry = listed[invoice_id]
        assert entry["reason_code"] == EXPECTED_REASON.get(kind, kind)
        assert entry["reason"].startswith(f"invoice {invoice_id}")
        assert entry["ledger_status"] == Status.TRANSFER_FAILED_REPORTED
        state = env.document(invoice_id)
        assert state["processingStatus"] == "TransferFailed"
        response = state["transferResponses"][-1]
        assert response["success"] is False and response["responseMessage"].startswith(f"[{entry['reason_code']}]")
        assert len(response["responseMessage"]) <= 250
    assert "supplier 99999 exists neither in IFS nor as a Basware vendor" in listed[bad["unknown_supplier"]]["reason"]
    assert not set(bad.values()) & set(env.proposals())


def test_replay_after_the_mapping_is_fixed(env: Env) -> None:
    invoice_id = env.sb.basware.add_documents(1, "unknown_cost_center")[0]
    env.run()
    assert env.status(invoice_id) is Status.TRANSFER_FAILED_REPORTED

    # Still TransferFailed in Basware: nothing can be transferred until the AP team re-sends it.
    waiting = env.replay(invoice_id)
    assert waiting["results"][invoice_id]["outcome"] == "awaiting_basware"

    # Fix: the cost center is created in IFS; the AP team re-sends the invoice for transfer.
    doc = env.document(invoice_id)["document"]
    company = env.tenant.companies[doc["companyCode"]]
    letter = env.tenant.dimensions[company]["costCenterCode"]
    env.add_code_part_value(company, letter, "CC-DOES-NOT-EXIST")
    env.sb.basware.set_document_status(invoice_id, "WaitingForTransfer")

    replayed = env.replay()  # all open entries
    assert replayed["results"][invoice_id]["outcome"] == "transferred", replayed
    assert env.status(invoice_id) is Status.REPORTED
    assert invoices.list_quarantine(env.store, env.tenant_id) == []
    entry = env.store.get_quarantined(env.tenant_id, "invoice", invoice_id)
    assert entry is not None and entry.resolved_at is not None and entry.replay_count == 1
    state = env.document(invoice_id)
    assert state["processingStatus"] == "Transferred"
    assert [r["success"] for r in state["transferResponses"]] == [False, True]
    code_part = env.names.posting_proposals.rows.code_parts[letter]
    assert env.proposals()[invoice_id]["rows"][0][code_part] == "CC-DOES-NOT-EXIST"
    assert env.run()["counts"]["created"] == 0  # nothing left to do


def test_re_sent_invoice_is_picked_up_by_the_next_regular_run(env: Env) -> None:
    invoice_id = env.add_document(supplierCode="99999")
    env.run()
    assert env.status(invoice_id) is Status.TRANSFER_FAILED_REPORTED
    # The AP team fixes the supplier in Basware and re-sends the invoice: a new document version.
    body = env.document(invoice_id)["document"]
    env.sb.basware.ctx.documents.add_documents([{**body, "supplierCode": "10001",
                                                 "processingStatus": "WaitingForTransfer"}])
    result = env.run()
    assert result["counts"]["reopened"] == 1 and result["counts"]["reported"] == 1
    assert env.document(invoice_id)["processingStatus"] == "Transferred"
    assert invoices.list_quarantine(env.store, env.tenant_id) == []


def test_replay_of_an_invoice_not_in_quarantine(env: Env) -> None:
    assert env.replay("nope")["results"]["nope"]["outcome"] == "not_quarantined"
