"""What the invoice flow raises or records, beyond the clients' own hierarchy (http/errors.py)."""

from __future__ import annotations

import hashlib

from ml_connector.http.errors import FatalError, OutcomeUnknownError, RecordError

RECORD_TYPE = "invoice"  # quarantine record_type of the invoice flow
QUARANTINE_KEY_MAX = 200  # the quarantine table's record_id column


def quarantine_key(raw: str) -> str:
    """`raw` when it fits the quarantine key, else its SHA-256: a hostile id is set aside, it never fails
    the insert that records it."""
    if len(raw) <= QUARANTINE_KEY_MAX and raw.isprintable():
        return raw
    return "sha256:" + hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()


class Reason:
    """Quarantine reason codes: short, stable, shown in `ml-connector quarantine list`."""

    MALFORMED = "malformed"
    UNKNOWN_COMPANY = "unknown_company"
    UNKNOWN_ACCOUNT = "unknown_account"
    INVALID_DIMENSION = "invalid_dimension"
    UNBALANCED = "unbalanced"
    UNKNOWN_SUPPLIER = "unknown_supplier"
    DUPLICATE_SUPPLIER = "duplicate_supplier"
    DUPLICATE_PROPOSAL = "duplicate_proposal"
    REJECTED_BY_IFS = "rejected_by_ifs"


class UnknownSupplier(RecordError):
    """The invoice's supplier exists neither in IFS nor as a Basware vendor."""


class DuplicateSupplier(RecordError):
    """The supplier to create looks like one IFS already has: held for a person (sync/vendor_duplicates.py)."""


class DuplicateProposals(RecordError):
    """IFS already holds more than one proposal for this Basware invoice; we must not add a third."""


class CreateOutcomeUnknown(OutcomeUnknownError):
    """A create may or may not have reached IFS and the re-lookup did not find it (yet).

    Not resent in this run: a request still in flight could land after a resend. The next run
    looks the record up first, as always.
    """


class ProposalOutcomeUnknown(CreateOutcomeUnknown):
    """CreateOutcomeUnknown for a posting proposal or one of its rows."""


class ControlTotalMismatch(FatalError):
    """What Basware sent and what IFS holds differ for a company: the run fails loudly."""


class TenantMismatch(FatalError):
    """A task was handed another tenant's batch or run result (a crossed XCom or staging reference): it
    must not act on it with this tenant's credentials, nor move this tenant's watermark by it."""


def require_own(tenant_id: str, what: str, owner: object) -> None:
    if owner != tenant_id:
        raise TenantMismatch(f"{what} belongs to tenant {owner!r}, not {tenant_id!r}: refused")
