"""Telling Basware the outcome: acknowledge (405 = already done), then a transfer response.

Success carries the IFS reference (Company/InvoiceId) as voucher number; failure a short reason
that the AP team reads in Basware. The externalCode is a uuid5, so the same report always gets the
same code and a resend is recognised as a duplicate, never applied twice.
"""

from __future__ import annotations

import uuid

from ml_connector.basware.client import BaswareClient
from ml_connector.basware.models import Acknowledgement, Receipt

NAMESPACE = uuid.UUID("8d4f6c2e-5a1b-4f0e-9c3d-2b7a6e1f0c94")  # fixed forever: codes must not change
MESSAGE_MAX = 250
VOUCHER_MAX = 25
TRANSFERRED = "Transferred"
TRANSFER_FAILED = "TransferFailed"


def external_code(tenant_id: str, invoice_id: str, *, success: bool, version: str = "") -> str:
    """uuid5 of tenant, invoice, outcome and document version (36 characters).

    Tenant + invoice make it stable across reruns. Outcome and version are in it because Basware
    wants a new externalCode for each new response: a replayed invoice first reported as failed,
    or re-sent by the AP team (a new document version), must not be taken for the old response.
    """
    verdict = "success" if success else "failure"
    return str(uuid.uuid5(NAMESPACE, f"{tenant_id}\x1f{invoice_id}\x1f{verdict}\x1f{version}"))


def success_message(reference: str) -> str:
    return shorten(f"Posting proposal {reference} created in IFS Cloud")


def failure_message(reason_code: str, reason: str, label: str | None = None) -> str:
    """`[unbalanced] coding rows carry net ...`: the invoice itself needs no naming in Basware."""
    text = reason.replace(f"{label}: ", "") if label else reason
    return shorten(f"[{reason_code}] {text}")


def shorten(text: str, limit: int = MESSAGE_MAX) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def acknowledge(basware: BaswareClient, invoice_id: str) -> Acknowledgement:
    """Acknowledged by this call, or already before it (Basware's 405); with the call's request ids."""
    return basware.documents.acknowledge(invoice_id)


def transfer(basware: BaswareClient, invoice_id: str, *, code: str, success: bool, message: str,
             reference: str | None = None) -> Receipt:
    voucher = reference if reference and len(reference) <= VOUCHER_MAX else None
    return basware.documents.transfer_response(invoice_id, external_code=code, success=success,
                                               message=message, voucher_number1=voucher)


def basware_state(success: bool) -> str:
    """The processing status a transfer response leaves the document in."""
    return TRANSFERRED if success else TRANSFER_FAILED


def basware_shows(basware: BaswareClient, invoice_id: str, success: bool) -> bool:
    """After a refused transfer response: does Basware already show the outcome we wanted to report?"""
    doc = basware.documents.get(invoice_id)
    status = (doc or {}).get("processingStatus")
    return status == (TRANSFERRED if success else TRANSFER_FAILED)
