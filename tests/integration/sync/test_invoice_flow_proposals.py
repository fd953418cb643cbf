"""upsert_proposal against the IFS simulator: compare, PATCH only differences, rows, 412s, duplicates."""

from __future__ import annotations

from decimal import Decimal

import pytest

from ml_connector.sync.catalog import load_catalog
from ml_connector.sync.errors import DuplicateProposals
from ml_connector.sync.mapping import ProposalDraft, map_document
from ml_connector.sync.proposals import Outcome, upsert_proposal
from mlc_sandbox.faults import FaultRule

from .support import Env


def draft_for(env: Env, index: int = 0, rows: int = 3) -> ProposalDraft:
    catalog = load_catalog(env.ifs, env.tenant.companies.values())
    for n in range(index, index + 50):  # a seed invoice with enough rows to move some around
        draft = map_document(env.sb.dataset.invoice(n), env.tenant, catalog)
        assert isinstance(draft, ProposalDraft)
        if len(draft.rows) >= rows:
            return draft
    raise AssertionError("no seed invoice with enough rows")


def test_create_then_unchanged_then_only_differences_are_patched(env: Env) -> None:
    draft = draft_for(env)
    key, outcome = upsert_proposal(env.ifs, draft)
    assert outcome is Outcome.CREATED and key.ref.startswith(f"{draft.company}/")
    assert upsert_proposal(env.ifs, draft).outcome is Outcome.UNCHANGED

    cfg = env.names.posting_proposals
    rows = cfg.rows
    env.sb.ifs.modify_as_other_user(cfg.entity_set, key.as_dict(), {cfg.invoice_no: "CHANGED"})
    env.sb.ifs.modify_as_other_user(rows.entity_set, {**key.as_dict(), rows.row_id: 2},
                                    {rows.amount: 1, rows.code_parts["B"]: None})
    env.ifs.writes.delete(cfg.projection, rows.entity_set, {**key.as_dict(), rows.row_id: 3})
    before = len(env.sb.ifs.requests())
    assert upsert_proposal(env.ifs, draft) == (key, Outcome.UPDATED)
    sent = env.sb.ifs.requests()[before:]
    patches = [r for r in sent if r["method"] == "PATCH"]
    assert len(patches) == 2 and all(r["if_match"] for r in patches)  # header and row 2, nothing else
    assert [r["method"] for r in sent if r["method"] in ("POST", "DELETE")] == ["POST"]  # row 3 again
    proposal = env.proposals()[draft.invoice_id]
    assert proposal[cfg.invoice_no] == draft.header["invoice_no"] and proposal[cfg.state] == cfg.balanced_state
    assert [r[rows.amount] for r in proposal["rows"]] == [Decimal(str(r["amount"])) for r in draft.rows]
    assert env.sb.ifs.wildcard_if_match_requests() == []


def test_surplus_rows_are_deleted(env: Env) -> None:
    draft = draft_for(env)
    upsert_proposal(env.ifs, draft)
    shorter = ProposalDraft(draft.invoice_id, draft.company, draft.supplier_id,
                            {**draft.header, "net": draft.rows[0]["amount"], "vat": draft.rows[0]["vat_amount"],
                             "gross": draft.rows[0]["amount"] + draft.rows[0]["vat_amount"]},
                            draft.rows[:1])
    assert upsert_proposal(env.ifs, shorter).outcome is Outcome.UPDATED
    proposal = env.proposals()[draft.invoice_id]
    cfg = env.names.posting_proposals
    assert len(proposal["rows"]) == 1 and proposal[cfg.state] == cfg.balanced_state


def test_concurrent_edits_are_re_read_and_re_applied(env: Env) -> None:
    draft = draft_for(env)
    key, _ = upsert_proposal(env.ifs, draft)
    cfg = env.names.posting_proposals
    assert cfg.pay_term
    env.sb.ifs.modify_as_other_user(cfg.entity_set, key.as_dict(), {cfg.pay_term: "NET90"})
    env.sb.injector.add(FaultRule(kind="concurrent_write", system="ifs", method="PATCH", times=2))
    assert upsert_proposal(env.ifs, draft).outcome is Outcome.UPDATED
    statuses = [r["status"] for r in env.sb.ifs.requests() if r["method"] == "PATCH"]
    assert statuses[:2] == [412, 412] and len(statuses) == 3 and statuses[2] < 300
    assert env.proposals()[draft.invoice_id][cfg.pay_term] == draft.header["pay_term"]


def test_two_proposals_with_the_same_reference_stop_the_invoice(env: Env) -> None:
    draft = draft_for(env)
    upsert_proposal(env.ifs, draft)
    cfg = env.names.posting_proposals
    body = cfg.header_body(draft.company, draft.header)
    env.ifs.writes.create(cfg.projection, cfg.entity_set, {k: v for k, v in body.items() if v is not None})
    with pytest.raises(DuplicateProposals, match=r"IFS already holds 2 proposals for this invoice"):
        upsert_proposal(env.ifs, draft)
    assert env.sb.ifs.proposal_counts()[draft.invoice_id] == 2  # we did not add a third
