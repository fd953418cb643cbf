"""A full run, a second run, code parts per company, control totals, and the same on PostgreSQL."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from ml_connector.state import Status
from ml_connector.sync.errors import ControlTotalMismatch
from ml_connector.sync.flow import InvoiceFlow, InvoiceItem, Stage

from .support import Env, make_env


def check_first_and_second_run(env: Env) -> None:
    waiting = env.waiting()
    assert len(waiting) == 12
    first = env.run()
    assert first["state"] == "success"
    assert (first["counts"]["created"], first["counts"]["reported"], first["counts"]["documents"]) == (12, 12, 12)
    proposals = env.proposals()
    assert sorted(proposals) == sorted(waiting)
    totals = {t["company"]: t for t in first["control_totals"]}
    assert all(t["match"] for t in totals.values())
    assert sum(t["basware"]["count"] for t in totals.values()) == 12
    assert first["watermark"]["moved"]
    for invoice_id in waiting:
        state = env.document(invoice_id)
        proposal = proposals[invoice_id]
        assert state["processingStatus"] == "Transferred"
        assert state["transferResponses"][-1]["voucherNumber1"] == f"{proposal['Company']}/{proposal['InvoiceId']}"
        assert proposal["Objstate"] == "Balanced"
        assert env.status(invoice_id) is Status.REPORTED

    second = env.run()
    assert second["counts"]["documents"] == 0 and second["counts"]["created"] == 0
    assert second["counts"]["resumed"] == 0 and second["control_totals"] == []
    assert second["watermark"]["after"] == first["watermark"]["after"]
    assert len(env.proposals()) == 12


def test_full_run_then_a_second_run_that_finds_nothing_new(env: Env) -> None:
    check_first_and_second_run(env)


@pytest.mark.postgres
def test_full_run_then_a_second_run_on_postgres(pg_env: Env) -> None:
    assert pg_env.store.dialect == "postgresql"
    check_first_and_second_run(pg_env)


def test_the_whole_flow_is_the_stages_in_order(env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    """One path: a batch run in one go calls exactly the DAG's stages, in order, for each invoice."""
    calls: dict[str, list[Stage]] = defaultdict(list)
    run_stage = InvoiceFlow.run_stage

    def recording(flow: InvoiceFlow, stage: Stage, item: InvoiceItem) -> list[str]:
        calls[item.invoice_id].append(stage)
        return run_stage(flow, stage, item)

    monkeypatch.setattr(InvoiceFlow, "run_stage", recording)
    result = env.run()
    assert result["counts"]["reported"] == 12 and len(calls) == 12
    assert all(stages == list(Stage) for stages in calls.values()), dict(calls)


def test_stage_by_stage_processing_ends_like_the_whole_flow(tmp_path: Path) -> None:
    envs = make_env(tmp_path, invoices=30, faults="invalid-data")
    env = next(envs)
    try:
        waiting = env.waiting()
        extracted = env.extract("staged-1")
        results = env.process_staged(extracted)
        done = env.finalize(extracted, results)
        counts = done["counts"]
        assert counts["created"] + counts["quarantined"] == len(waiting)
        assert counts["quarantined"] > 0 and counts["created"] > 0
        assert counts["reported"] == counts["created"]
        assert counts["failures_reported"] == counts["quarantined"]
        assert done["state"] == "success" and done["watermark"]["moved"]
        for invoice_id in waiting:
            state = env.document(invoice_id)["processingStatus"]
            expected = Status.REPORTED if state == "Transferred" else Status.TRANSFER_FAILED_REPORTED
            assert state in ("Transferred", "TransferFailed")
            assert env.status(invoice_id) is expected
        assert len(env.proposals()) == counts["created"]
    finally:
        envs.close()


def _tax(record: dict[str, Any], *fields: str) -> Decimal:
    """Basware's two tax figures as one (either may be absent or null)."""
    return sum((Decimal(str(record[f])) for f in fields if record.get(f) is not None), Decimal(0))


def test_rows_carry_each_companys_own_code_parts(env: Env) -> None:
    env.run()
    proposals = env.proposals()
    companies = set()
    for invoice_id, proposal in proposals.items():
        doc = env.document(invoice_id)["document"]
        company = env.tenant.companies[doc["companyCode"]]
        companies.add(company)
        assert proposal["Company"] == company
        assert len(proposal["rows"]) == len(doc["codingRows"])
        pp = env.names.posting_proposals
        for row, coding in zip(proposal["rows"], doc["codingRows"], strict=True):
            assert row[pp.rows.code_parts["A"]] == coding["accountCode"]
            for field, letter in env.tenant.dimensions[company].items():
                assert row[pp.rows.code_parts[letter]] == coding.get(field), (company, field, letter)
            assert (row[pp.rows.amount], row[pp.rows.vat_amount]) == (
                Decimal(str(coding["netTotal"])), _tax(coding, "taxSum", "taxSum2"))
        assert (proposal[pp.net], proposal[pp.vat]) == (Decimal(str(doc["netSum"])), _tax(doc, "taxSum1", "taxSum2"))
        assert proposal[pp.supplier] == doc["supplierCode"] and proposal[pp.state] == pp.balanced_state
    assert len(companies) >= 3  # the seed spreads 12 invoices over the four plants


def test_missing_supplier_is_created_from_the_basware_vendor(env: Env) -> None:
    vendor = next(s for s in env.sb.dataset.suppliers if s.in_basware and not s.in_ifs)
    invoice_id = env.add_document(supplierCode=vendor.supplier_id, supplierName=vendor.name)
    result = env.run()
    assert result["counts"]["suppliers_created"] >= 1
    supplier = env.sb.ifs.entity("SupplierInfoGeneralSet", SupplierId=vendor.supplier_id)
    assert supplier is not None and supplier["Name"] == vendor.name and supplier["Country"] == vendor.country
    audit = env.store.audit_history(env.tenant_id, "vendor", vendor.supplier_id)
    assert [(a.action, a.source_system) for a in audit] == [("created", "basware")]
    assert env.proposals()[invoice_id][env.names.posting_proposals.supplier] == vendor.supplier_id
    vendor_pages = [r for r in env.sb.basware.request_log if r.get("path", "").startswith("/v1/vendors")]
    assert 1 <= len(vendor_pages) <= 2  # indexed once for the run, not once per invoice


def test_control_total_mismatch_fails_the_run_and_holds_the_watermark(env: Env) -> None:
    extracted = env.extract("run-x")
    results = env.process(extracted)
    victim = next(iter(env.proposals().values()))
    env.sb.ifs.modify_as_other_user("ManSuppInvoiceSet", {"Company": victim["Company"],
                                    "InvoiceId": victim["InvoiceId"]}, {env.names.posting_proposals.net: 1})
    with pytest.raises(ControlTotalMismatch, match=rf"IFS company {victim['Company']} \(\w+\): Basware sent"):
        env.finalize(extracted, results)
    assert env.store.get_watermark(env.tenant_id, "invoices") is None
    run = env.store.get_run(env.tenant_id, "run-x")
    assert run is not None and run.state == "failed"
