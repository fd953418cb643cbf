"""Accounting documents: read the ones waiting for transfer, acknowledge them, report the ERP outcome."""

from __future__ import annotations

import logging
from collections.abc import Generator
from datetime import UTC, datetime
from typing import Any

from ml_connector.basware.models import Acknowledgement, AckResult, Receipt
from ml_connector.basware.transport import (
    JSON,
    BaswareTransport,
    iso,
    items,
    json_body,
    seg,
    truncate,
)
from ml_connector.http.classify import Action

log = logging.getLogger(__name__)

DOCUMENTS_PAGE_MAX = 100
MESSAGE_MAX = 250
EXTERNAL_CODE_MAX = 36
SOURCE_SYSTEM_MAX = 32
VOUCHER_MAX = 25
LIST_KEY = "accountingDocuments"  # GET /v1/accountingDocuments and /{invoiceId} both wrap their answer


class Documents:
    def __init__(self, transport: BaswareTransport) -> None:
        self._t = transport

    def iter(
        self,
        status: str = "WaitingForTransfer",
        company_code: str | None = None,
        last_updated: datetime | str | None = None,
        page_size: int = DOCUMENTS_PAGE_MAX,
        processing_mode: str | None = None,
    ) -> Generator[dict[str, Any], None, None]:
        """Documents in `status`, page by page (one page in memory)."""
        if not 1 <= page_size <= DOCUMENTS_PAGE_MAX:
            raise ValueError(f"page_size must be 1..{DOCUMENTS_PAGE_MAX}")
        params: dict[str, Any] = {"ProcessingStatus": status, "pageSize": page_size}
        if company_code:
            params["companyCode"] = company_code
        if last_updated:
            params["lastUpdated"] = iso(last_updated)
        if processing_mode:
            params["p2pProcessingMode"] = processing_mode
        yield from self._t.iter_list("/v1/accountingDocuments", params, LIST_KEY)

    def get(self, invoice_id: str) -> dict[str, Any] | None:
        """One document, or None when Basware has no such document."""
        path = f"/v1/accountingDocuments/{seg(invoice_id)}"
        resp = self._t.get(path, {}, {})
        if resp.status_code == 404:
            return None
        found = items(json_body(resp), LIST_KEY, path)
        return found[0] if found else None

    def acknowledge(self, invoice_id: str) -> Acknowledgement:
        resp = self._t.api.send(
            "POST", f"/v1/accountingDocuments/{seg(invoice_id)}/acknowledge",
            headers=JSON, overrides={405: Action.IGNORE}, record_id=invoice_id,
        )
        receipt = self._t.receipt(resp)
        if resp.status_code == 405:
            log.info("Invoice %s was already acknowledged (client_request_id %s)", invoice_id,
                     receipt.client_request_id)
            return Acknowledgement(AckResult.ALREADY_ACKNOWLEDGED, receipt)
        return Acknowledgement(AckResult.ACKNOWLEDGED, receipt)

    def transfer_response(
        self,
        invoice_id: str,
        *,
        external_code: str,
        success: bool,
        message: str = "",
        voucher_number1: str | None = None,
        voucher_number2: str | None = None,
        payment_block: bool = False,
        source_system: str | None = "IFS Cloud",
        transfer_date: datetime | None = None,
    ) -> Receipt:
        """Report the ERP outcome; returns the call's request ids. `paymentBlock` is required by the spec:
        it is sent on every response (False unless the ERP blocks the invoice for payment)."""
        if not external_code or len(external_code) > EXTERNAL_CODE_MAX:
            raise ValueError(f"external_code must be 1..{EXTERNAL_CODE_MAX} characters")
        if source_system is not None and len(source_system) > SOURCE_SYSTEM_MAX:
            raise ValueError(f"source_system must be at most {SOURCE_SYSTEM_MAX} characters")
        for name, voucher in (("voucher_number1", voucher_number1), ("voucher_number2", voucher_number2)):
            if voucher is not None and len(voucher) > VOUCHER_MAX:
                raise ValueError(f"{name} must be at most {VOUCHER_MAX} characters")
        body: dict[str, Any] = {
            "externalCode": external_code,
            "success": success,
            "responseMessage": truncate(message.strip(), MESSAGE_MAX) or ("Transferred" if success else
                                                                          "Transfer failed"),
            "transferDate": iso(transfer_date or datetime.now(UTC)),
            "paymentBlock": bool(payment_block),
        }
        optional = {"voucherNumber1": voucher_number1, "voucherNumber2": voucher_number2,
                    "sourceSystem": source_system}
        body.update({k: v for k, v in optional.items() if v is not None})
        # Not replay-safe: a resend after an unseen success is refused as "already transferred".
        resp = self._t.api.send(
            "POST", f"/v1/accountingDocuments/{seg(invoice_id)}/transferResponses",
            json=body, headers=JSON, replay_safe=False, record_id=invoice_id,
        )
        return self._t.receipt(resp)
