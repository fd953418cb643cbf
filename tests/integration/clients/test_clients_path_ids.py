"""Hostile invoice ids through every Basware document endpoint the connector calls: each id reaches the
document it names, as one path segment (the simulator routes on the raw path, as Basware's gateway does)."""

from __future__ import annotations

import pytest

from ml_connector.basware.models import AckResult
from mlc_sandbox.runner import Sandbox

from .support import SUPPLIERS, bw_client, ifs_client

HOSTILE_IDS = ("INV/2026/0001", "a/../b", "/lead", "trail/", "50%off", "%2F", "x%25y", "what?", "no#1",
               "two words", "O'Brien", "plus+sign", "semi;colon", "amp&eq=", "ünï-çødé")


@pytest.mark.parametrize("invoice_id", HOSTILE_IDS)
def test_every_document_endpoint_addresses_a_hostile_id(sb: Sandbox, invoice_id: str) -> None:
    doc = sb.dataset.invoice(900)
    doc["invoiceId"] = invoice_id
    sb.basware.ctx.documents.add_documents([doc])
    client = bw_client(sb)
    try:
        found = client.documents.get(invoice_id)
        assert found is not None and found["invoiceId"] == invoice_id
        assert client.documents.acknowledge(invoice_id).result is AckResult.ACKNOWLEDGED
        assert sb.basware.document_status(invoice_id) == "TransferInProgress"
        assert client.documents.acknowledge(invoice_id).result is AckResult.ALREADY_ACKNOWLEDGED
        client.documents.transfer_response(invoice_id, external_code="IFS-HOSTILE-1", success=True,
                                           voucher_number1="V1")
        assert sb.basware.document_status(invoice_id) == "Transferred"
    finally:
        client.close()


def test_an_id_that_only_looks_like_another_is_not_found(sb: Sandbox) -> None:
    """`a%2Fb` must not reach a document `a/b`, nor `a` (a gateway that decoded would hit one of them)."""
    for invoice_id in ("a/b", "a"):
        doc = sb.dataset.invoice(901)
        doc["invoiceId"] = invoice_id
        sb.basware.ctx.documents.add_documents([doc])
    client = bw_client(sb)
    try:
        assert client.documents.get("a%2Fb") is None
        assert client.documents.get("a/b")["invoiceId"] == "a/b"  # type: ignore[index]
    finally:
        client.close()


IFS_KEYS = ("A/B", "O'BRIEN", "''", "50%", "%2F", "Q?#", "TWO WORDS", "X)Y(Z", "A,B=C")


@pytest.mark.parametrize("supplier_id", IFS_KEYS)
def test_ifs_key_literals_address_the_row_they_name(sb: Sandbox, supplier_id: str) -> None:
    """Quotes doubled, the literal percent-encoded: create, read and a guarded PATCH reach that one row."""
    client = ifs_client(sb)
    try:
        created, _ = client.writes.create(*SUPPLIERS, {"SupplierId": supplier_id, "Name": "Hostile"})
        assert created["SupplierId"] == supplier_id
        keys = {"SupplierId": supplier_id}
        assert client.reads.get(*SUPPLIERS, keys)[0]["Name"] == "Hostile"
        client.writes.update(*SUPPLIERS, keys, {"Name": "Renamed"})
        assert sb.ifs.entity("SupplierInfoGeneralSet", SupplierId=supplier_id)["Name"] == "Renamed"  # type: ignore[index]
    finally:
        client.close()
