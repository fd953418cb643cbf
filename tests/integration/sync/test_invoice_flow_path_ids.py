"""Invoice ids with `/` and other characters that mean something in a URL go through every endpoint.
Regression (issue 12, defect 2): an id with `/` got its IFS proposal, then acknowledge answered 404 on every
run (the simulator routed on the decoded path) and Basware kept showing it waiting."""

from __future__ import annotations

import pytest

from ml_connector.http.errors import NotFoundError

from .support import Env

# Each at most Basware's 36 characters: the length limit has its own test.
HOSTILE_IDS = ("A/1", "a%2Fb", "100%", "q?x=1", "h#1", "sp ace", "O'Brien", "O''B", "ünï-€/ß", "..", "../x",
               "a/../b", "%", "(x)", "k='v',n=1", "a+b&c;d", "/lead", "trail/", "X" * 36)


def test_an_id_with_a_slash_is_proposed_acknowledged_and_transferred(env: Env) -> None:
    invoice_id = env.add_document(invoiceId="INV/2026/0042")
    result = env.run()
    assert result["state"] == "success" and result["counts"]["quarantined"] == 0, result
    assert invoice_id in env.proposals()
    state = env.document(invoice_id)
    assert state["processingStatus"] == "Transferred", state
    assert state["transferResponses"][-1]["success"] is True
    assert invoice_id not in env.waiting()


def test_hostile_ids_all_go_through_the_whole_flow(env: Env) -> None:
    added = [env.add_document(invoiceId=i, invoiceNumber=f"H-{n}") for n, i in enumerate(HOSTILE_IDS)]
    assert added == list(HOSTILE_IDS)
    result = env.run()
    assert result["state"] == "success" and result["counts"]["quarantined"] == 0, result
    proposals = env.proposals()
    for invoice_id in HOSTILE_IDS:
        assert invoice_id in proposals, invoice_id
        assert env.document(invoice_id)["processingStatus"] == "Transferred", invoice_id
    assert env.run()["counts"]["created"] == 0  # and nothing twice


@pytest.mark.parametrize("invoice_id", HOSTILE_IDS)
def test_basware_document_endpoints_address_exactly_the_hostile_id(env: Env, invoice_id: str) -> None:
    env.add_document(invoiceId=invoice_id)
    env.add_document(invoiceId="decoy")
    docs = env.basware.documents
    got = docs.get(invoice_id)
    assert got is not None and got["invoiceId"] == invoice_id
    docs.acknowledge(invoice_id)
    assert env.document(invoice_id)["processingStatus"] != "WaitingForTransfer"
    assert env.document("decoy")["processingStatus"] == "WaitingForTransfer"
    docs.transfer_response(invoice_id, external_code="EXT-1", success=True)
    assert env.document(invoice_id)["processingStatus"] == "Transferred"


@pytest.mark.parametrize("key", HOSTILE_IDS)
def test_ifs_key_literals_of_hostile_ids_are_well_formed(env: Env, key: str) -> None:
    cfg = env.ifs.fields.suppliers
    with pytest.raises(NotFoundError):  # a 404 for the key asked for, not a 400 for a malformed predicate
        env.ifs.reads.get(cfg.projection, cfg.entity_set, {cfg.supplier_id: key}, select=(cfg.supplier_id,))
