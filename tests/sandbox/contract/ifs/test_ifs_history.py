"""Incremental reads: ModifiedDate moves on every write, and the history log records each write."""

from __future__ import annotations

from .conftest import SUPPLIERS, Ifs, invoice_path

HISTORY = "HistoryLogHandling.svc/HistoryLogOverviewSet"


def test_modified_date_filter_finds_what_changed_since_a_watermark(ifs: Ifs) -> None:
    ifs.admin("POST", "/ifs/clock/advance", json={"seconds": 10})
    watermark = ifs.admin("POST", "/ifs/clock/advance", json={"seconds": 1}).json()["now"]
    ifs.admin("POST", "/ifs/clock/advance", json={"seconds": 1})
    etag = ifs.get(f"{SUPPLIERS}('10005')").headers["ETag"]
    assert ifs.patch(f"{SUPPLIERS}('10005')", {"Name": "Changed"}, etag).status_code == 204
    ifs.post(SUPPLIERS, {"SupplierId": "NEWX", "Name": "Brand new"})
    changed = ifs.values(SUPPLIERS, **{"$filter": f"ModifiedDate gt {watermark}",
                                       "$orderby": "ModifiedDate,SupplierId"})
    assert {c["SupplierId"] for c in changed} == {"10005", "NEWX"}


def test_history_log_records_inserts_updates_and_deletes(ifs: Ifs) -> None:
    start = ifs.sim.clock.now().replace(microsecond=0).isoformat().replace("+00:00", "Z")
    ifs.admin("POST", "/ifs/clock/advance", json={"seconds": 2})
    invoice = ifs.create_invoice()
    etag = ifs.get(invoice_path(invoice)).headers["ETag"]
    ifs.patch(invoice_path(invoice), {"InvoiceNo": "INV-2"}, etag)
    ifs.delete(invoice_path(invoice), ifs.get(invoice_path(invoice)).headers["ETag"])
    rows = ifs.values(HISTORY, **{"$filter": f"LuName eq 'ManSuppInvoice' and TimeStamp gt {start}",
                                  "$orderby": "LogId"})
    assert [r["HistoryType"] for r in rows] == ["Insert", "Update", "Delete"]
    assert {r["Keys"] for r in rows} == {f"COMPANY=10^INVOICE_ID={invoice['InvoiceId']}^"}
    assert {r["Username"] for r in rows} == {ifs.sim.settings.service_user}
    assert rows[0]["TableName"] == "MAN_SUPP_INVOICE_TAB"
    assert ifs.post(HISTORY, {"LuName": "X"}).status_code == 405
