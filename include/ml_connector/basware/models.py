"""Typed views of Basware answers. Tolerant: unknown fields are kept, missing ones are None."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from ml_connector.http.errors import RecordError

FINAL_REQUEST_STATUSES = frozenset({"Success", "Error", "AcknowledgedSuccess", "AcknowledgedError"})


class AckResult(StrEnum):
    ACKNOWLEDGED = "acknowledged"
    ALREADY_ACKNOWLEDGED = "already_acknowledged"  # Basware's 405 on a second acknowledge


@dataclass(frozen=True)
class Receipt:
    """What names one Basware call afterwards: the id we sent (X-BW-REQUEST-ID) and Basware's own."""

    client_request_id: str | None = None
    request_id: str | None = None

    def to_json(self) -> dict[str, str]:
        return {k: v for k, v in (("client_request_id", self.client_request_id),
                                  ("basware_request_id", self.request_id)) if v}


@dataclass(frozen=True)
class Acknowledgement:
    result: AckResult
    receipt: Receipt = field(default_factory=Receipt)


@dataclass
class UpsertResult:
    """What a chunked master-data POST did: poll `request_ids` for the asynchronous outcome."""

    request_ids: list[str] = field(default_factory=list)
    sent: int = 0
    rejected: list[RecordError] = field(default_factory=list)  # never sent (e.g. over 6 MB alone)


class _Tolerant(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)


class RecordOutcome(_Tolerant):
    external_code: str | None = Field(None, alias="externalCode")
    parent_external_code: str | None = Field(None, alias="parentExternalCode")
    status: str | None = None
    errors: list[dict[str, Any]] = Field(default_factory=list)


class RequestStatus(_Tolerant):
    """One entry of `GET /v1/requestStatus`: the asynchronous fate of one POST."""

    request_id: str | None = Field(None, alias="requestId")
    entity_type: str | None = Field(None, alias="entityType")
    request_status: str | None = Field(None, alias="requestStatus")
    last_updated: str | None = Field(None, alias="lastUpdated")
    systems: list[dict[str, Any]] = Field(default_factory=list)

    @property
    def is_final(self) -> bool:
        return self.request_status in FINAL_REQUEST_STATUSES

    def records(self) -> list[RecordOutcome]:
        out: list[RecordOutcome] = []
        for system in self.systems:
            for item in system.get("items") or ():
                if isinstance(item, dict):
                    out.append(RecordOutcome.model_validate(item))
        return out

    def failed_records(self) -> list[RecordOutcome]:
        return [r for r in self.records() if r.status == "Error"]


def tax_total(first: Decimal | None, second: Decimal | None) -> Decimal | None:
    """Basware's two tax figures (either may be absent or null) as one; None when both are."""
    if first is None and second is None:
        return None
    return (first or Decimal(0)) + (second or Decimal(0))


class CodingRow(_Tolerant):
    """A StandardCodingEntity: its tax is `taxSum` + `taxSum2` (at `taxPercent` / `taxPercent2`)."""

    external_code: str | None = Field(None, alias="externalCode")
    row_index: int | None = Field(None, alias="rowIndex")
    account_code: str | None = Field(None, alias="accountCode")
    cost_center_code: str | None = Field(None, alias="costCenterCode")
    project_code: str | None = Field(None, alias="projectCode")
    tax_code: str | None = Field(None, alias="taxCode")
    net_total: Decimal | None = Field(None, alias="netTotal")
    tax_sum: Decimal | None = Field(None, alias="taxSum")
    tax_sum2: Decimal | None = Field(None, alias="taxSum2")
    gross_total: Decimal | None = Field(None, alias="grossTotal")

    @property
    def tax(self) -> Decimal | None:
        return tax_total(self.tax_sum, self.tax_sum2)


class AccountingDocument(_Tolerant):
    """An approved invoice; other fields (dimCode1..10, plant...) stay available in `model_extra`.

    Amounts are Decimal: the client decodes JSON numbers straight to Decimal (a float from elsewhere
    goes through its shortest repr, so 0.1 stays 0.1). The header's tax is `taxSum1` + `taxSum2`.
    """

    # Lengths are Basware's own (AccountingDocumentEntity, OpenAPI 26.06.05.402): a longer value breaks
    # its contract and would not fit where we store or send it, so the document is quarantined.
    invoice_id: str = Field(alias="invoiceId", max_length=36)
    company_code: str | None = Field(None, alias="companyCode", max_length=32)
    supplier_code: str | None = Field(None, alias="supplierCode", max_length=25)
    invoice_number: str | None = Field(None, alias="invoiceNumber", max_length=100)
    currency_code: str | None = Field(None, alias="currencyCode", max_length=3)
    net_sum: Decimal | None = Field(None, alias="netSum")
    tax_sum1: Decimal | None = Field(None, alias="taxSum1")
    tax_sum2: Decimal | None = Field(None, alias="taxSum2")
    gross_sum: Decimal | None = Field(None, alias="grossSum")
    processing_status: str | None = Field(None, alias="processingStatus")
    last_updated: str | None = Field(None, alias="lastUpdated")
    coding_rows: list[CodingRow] = Field(default_factory=list, alias="codingRows")

    @property
    def tax(self) -> Decimal | None:
        return tax_total(self.tax_sum1, self.tax_sum2)
