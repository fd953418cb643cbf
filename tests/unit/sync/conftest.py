"""Hand-built inputs for the pure invoice-flow logic: a tenant, a code-part catalog, a document."""

from __future__ import annotations

import copy
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from ml_connector.config import TenantConfig
from ml_connector.sync.catalog import Catalog, CodePart, Validity

ALWAYS = Validity(date(2020, 1, 1), date(2099, 12, 31))


@pytest.fixture
def tenant() -> TenantConfig:
    return TenantConfig(
        tenant_id="acme", ifs_conn_id="ifs", basware_conn_id="bw", basware_region="eu",
        companies={"US10": "10", "DE20": "20"},
        dimensions={"10": {"costCenterCode": "B", "dimCode1": "C", "projectCode": "D"},
                    "20": {"costCenterCode": "C", "plant": "B"}},
        gl_accounts={"overrides": {"4000-OLD": "6000"}, "strip_prefix": "GL-"},
    )


@pytest.fixture
def catalog() -> Catalog:
    names = {"A": "Account", "B": "Cost Center", "C": "Department", "D": "Project", "E": "CodeE"}
    parts = {
        "10": {k: CodePart(k, v, k != "E") for k, v in names.items()},
        "20": {"A": CodePart("A", "Account", True), "B": CodePart("B", "Plant", True),
               "C": CodePart("C", "Cost Center", True)},
    }
    values = {
        "10": {"A": {"6000": ALWAYS, "6100": ALWAYS},
               "B": {"CC1001": ALWAYS, "CC-OLD": Validity(date(2020, 1, 1), date(2025, 12, 31))},
               "C": {"PROD": ALWAYS}, "D": {"PRJ-ERP": ALWAYS}},
        "20": {"A": {"6000": ALWAYS}, "B": {"P20": ALWAYS}, "C": {"CC2001": ALWAYS}},
    }
    return Catalog(parts, values)


# Spec-shaped (AccountingDocumentEntity): amounts are JSON numbers, which the client decodes to Decimal;
# dates are date-times; the header's tax is taxSum1 (+ taxSum2), a coding row's taxSum (+ taxSum2).
DOC: dict[str, Any] = {
    "invoiceId": "inv-1", "companyCode": "US10", "supplierCode": "10005", "invoiceNumber": "INV-1",
    "invoiceDate": "2026-09-25T00:00:00Z", "dueDate": "2026-10-25T00:00:00Z", "currencyCode": "USD",
    "netSum": Decimal("150.00"), "taxPercent1": Decimal("7.25"), "taxSum1": Decimal("10.88"),
    "grossSum": Decimal("160.88"), "paymentTermCode": "NET30", "paymentBlock": False,
    "processingStatus": "WaitingForTransfer", "lastUpdated": "2026-10-02T00:00:00Z",
    "codingRows": [
        {"externalCode": "inv-1-1", "rowIndex": 1, "accountCode": "6000", "costCenterCode": "cc1001",
         "dimCode1": "PROD", "projectCode": None, "taxCode": "VAT7.25", "taxPercent": Decimal("7.25"),
         "netTotal": Decimal("100.00"), "taxSum": Decimal("7.25"), "grossTotal": Decimal("107.25"),
         "orderNumber": "PO1", "lastComment": None},
        {"externalCode": "inv-1-2", "rowIndex": 2, "accountCode": "GL-6100", "costCenterCode": "CC1001",
         "dimCode1": "PROD", "projectCode": "PRJ-ERP", "taxCode": "VAT7.25", "taxPercent": Decimal("7.25"),
         "netTotal": Decimal("50.00"), "taxSum": Decimal("3.63"), "grossTotal": Decimal("53.63")},
    ],
}


@pytest.fixture
def doc() -> dict[str, Any]:
    return copy.deepcopy(DOC)
