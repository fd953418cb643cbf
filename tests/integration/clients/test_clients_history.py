"""Incremental reads through IFS's history log, for entities without a modified-date column."""

from __future__ import annotations

from datetime import timedelta

from ml_connector.ifs.history import parse_keyref
from mlc_sandbox.runner import Sandbox, SandboxOptions


def test_history_log_lists_writes_after_a_timestamp_with_parsed_keys() -> None:
    with Sandbox(SandboxOptions(invoices=5, suppliers=30)) as sandbox:
        from ml_connector.connection_settings import IfsConnection

        creds = sandbox.credentials()["ifs"]
        client = IfsConnection(host=sandbox.ifs_url, realm=creds["realm"], client_id=creds["client_id"],
                               client_secret=creds["client_secret"]).build_client()
        suppliers = client.fields.suppliers
        row, _ = client.reads.get(suppliers.projection, suppliers.entity_set, {"SupplierId": "10004"})
        from ml_connector.sync.values import parse_timestamp

        before = parse_timestamp(row["ModifiedDate"])
        assert before is not None
        sandbox.ifs.advance_clock(5)
        client.writes.update(suppliers.projection, suppliers.entity_set, {"SupplierId": "10004"},
                             {"Name": "Changed Ltd"})
        entries = list(client.history.iter("SupplierInfoGeneral", before + timedelta(seconds=1)))
        assert [e["key"] for e in entries] == [{"SUPPLIER_ID": "10004"}]
        assert entries[0]["HistoryType"] == "Update"
        written = parse_timestamp(entries[0]["TimeStamp"])
        assert written is not None
        assert list(client.history.iter("SupplierInfoGeneral", written)) == [], "strictly after"


def test_parse_keyref() -> None:
    assert parse_keyref("COMPANY=10^INVOICE_ID=1^") == {"COMPANY": "10", "INVOICE_ID": "1"}
    assert parse_keyref("") == {}
