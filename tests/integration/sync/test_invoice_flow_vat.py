"""VAT on the proposal is Basware's taxSum1 + taxSum2 (either may be absent), end to end."""

from __future__ import annotations

from decimal import Decimal

from .support import Env


def test_vat_from_taxsum1_alone_and_from_taxsum1_plus_taxsum2(env: Env) -> None:
    seed = env.sb.dataset.invoice(901)
    total_tax = Decimal(str(seed["taxSum1"]))
    assert total_tax > 1
    only_first = env.add_document(901, taxSum2=None)  # the spec's nullable taxSum2, null
    both = env.add_document(901, taxSum1=float(total_tax - 1), taxSum2=1.0)  # the same VAT, split in two
    result = env.run()
    assert result["state"] == "success" and result["counts"]["quarantined"] == 0, result
    proposals = env.proposals()
    vat = env.names.posting_proposals.vat
    assert proposals[only_first][vat] == total_tax
    assert proposals[both][vat] == total_tax
    assert env.document(both)["processingStatus"] == "Transferred"


def test_taxsum1_plus_taxsum2_that_disagrees_with_gross_minus_net_is_quarantined(env: Env) -> None:
    seed = env.sb.dataset.invoice(902)
    wrong = env.add_document(902, taxSum2=5.0)  # taxSum1 already is grossSum - netSum: 5.00 too much
    env.run()
    state = env.document(wrong)
    assert state["processingStatus"] == "TransferFailed"
    message = state["transferResponses"][-1]["responseMessage"]
    assert message.startswith("[unbalanced]") and "taxSum2 5" in message, message
    assert Decimal(str(seed["grossSum"])) - Decimal(str(seed["netSum"])) == Decimal(str(seed["taxSum1"]))
