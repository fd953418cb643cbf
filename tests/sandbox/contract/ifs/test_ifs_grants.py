"""Company grants of the service user: rows of other companies are invisible, not an error."""

from __future__ import annotations

from .conftest import CODE_VALUES, INVOICES, SUPPLIERS, Factory, Ifs, error_of

COMPANIES = "CompanyHandling.svc/CompanySet"


def test_all_companies_visible_by_default(reader: Ifs) -> None:
    rows = reader.values(COMPANIES, **{"$orderby": "Company"})
    assert [(r["Company"], r["CurrencyCode"]) for r in rows] == [("10", "USD"), ("20", "EUR"), ("30", "MXN"),
                                                                ("40", "CNY")]


def test_ungranted_companies_give_empty_results_not_errors(make_ifs: Factory) -> None:
    ifs = make_ifs(granted_companies=["10"])
    assert [r["Company"] for r in ifs.values(COMPANIES)] == ["10"]
    response = ifs.get(CODE_VALUES, params={"$filter": "Company eq '20'"})
    assert response.status_code == 200 and response.json()["value"] == []
    assert ifs.get(f"{CODE_VALUES}/$count", params={"$filter": "Company eq '20'"}).text == "0"
    parts = ifs.get("CodePartValuesHandling.svc/AccountingCodePartSet", params={"$filter": "Company eq '20'"})
    assert parts.status_code == 200 and parts.json()["value"] == []
    assert ifs.get(f"{COMPANIES}('20')").status_code == 404
    assert ifs.get("CodePartValuesHandling.svc/CompanyFinanceSet(Company='20')/CodeBArray").status_code == 404
    assert len(ifs.values(SUPPLIERS)) == 300  # suppliers are not company-scoped


def test_writes_to_an_ungranted_company_fail_like_an_unknown_one(make_ifs: Factory) -> None:
    ifs = make_ifs(granted_companies=["10"])
    response = ifs.post(INVOICES, {"Company": "20", "Identity": "10001", "PartyType": "Supplier", "InvoiceNo": "X",
                                   "InvoiceDate": "2026-10-01", "NetCurrAmount": 1, "VatCurrAmount": 0})
    assert response.status_code == 400
    assert "not connected to company 20" in error_of(response)["message"]


def test_grants_change_at_runtime(ifs: Ifs) -> None:
    invoice = ifs.create_invoice(Company="20")
    assert ifs.admin("PATCH", "/ifs/settings", json={"granted_companies": ["10", "30"]}).status_code == 200
    assert ifs.values(INVOICES) == []
    assert ifs.get(f"{INVOICES}(Company='20',InvoiceId={invoice['InvoiceId']})").status_code == 404
    ifs.admin("PATCH", "/ifs/settings", json={"granted_companies": None})
    assert len(ifs.values(INVOICES)) == 1


def test_bad_settings_are_rejected(ifs: Ifs) -> None:
    assert ifs.admin("PATCH", "/ifs/settings", json={"page_limit": 0}).status_code == 400
    assert ifs.admin("PATCH", "/ifs/settings", json={"no_such_setting": 1}).status_code == 400
    assert ifs.admin("GET", "/ifs/settings").json()["page_limit"] == 5000
