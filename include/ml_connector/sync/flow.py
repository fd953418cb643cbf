"""One invoice through the flow, from whatever ledger status it is in to a final one.

The ledger is written before every external step (design.md, "One invoice, exactly once"):

    extracted -> mapped -> [supplier, proposal upsert] -> proposal_created -> [acknowledge]
      -> acknowledged -> [transfer response: success] -> reported
    extracted|mapped -> quarantined -> [acknowledge, transfer response: failure]
      -> transfer_failed_reported

A crash anywhere leaves a status from which the next run repeats only idempotent steps: the
proposal is looked up before it is created, a second acknowledge is Basware's harmless 405, and a
transfer response resent with the same externalCode is recognised as a duplicate.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ml_connector.basware.client import BaswareClient
from ml_connector.config import TenantConfig
from ml_connector.http.errors import (
    FatalError,
    MlConnectorError,
    NotFoundError,
    OutcomeUnknownError,
    RecordError,
    RetriableError,
)
from ml_connector.ifs.client import IfsClient
from ml_connector.state import LedgerEntry, StateStore, Status
from ml_connector.sync import reporting
from ml_connector.sync.catalog import Catalog
from ml_connector.sync.errors import RECORD_TYPE, DuplicateProposals, Reason, UnknownSupplier
from ml_connector.sync.mapping import ProposalDraft, Rejection, label, map_document
from ml_connector.sync.proposals import DEFAULT_SETTLE, UpsertResult, upsert_proposal
from ml_connector.sync.vendors import SupplierReconciler

log = logging.getLogger(__name__)

COUNT_KEYS = ("created", "updated", "unchanged", "quarantined", "reported", "failures_reported",
              "deferred", "skipped", "failed", "suppliers_created")
# The invoice DAG's per-batch tasks, in order; each moves invoices between ledger statuses.
STAGES = ("map_dimensions", "reconcile_vendors", "upsert_proposals", "report_back")
# Only these Basware states can still be acknowledged or answered.
OPEN_IN_BASWARE = ("WaitingForTransfer", "TransferInProgress")


@dataclass
class FlowDeps:
    basware: BaswareClient
    ifs: IfsClient
    store: StateStore
    tenant: TenantConfig
    run_id: str | None
    catalog: Catalog
    suppliers: SupplierReconciler
    settle: Sequence[float] = DEFAULT_SETTLE


class InvoiceFlow:
    def __init__(self, deps: FlowDeps) -> None:
        self.d = deps
        self.tenant_id = deps.tenant.tenant_id

    def run(self, invoice_id: str, document: Mapping[str, Any] | None = None, stage: str | None = None) -> list[str]:
        """Move one invoice as far as it can go now (or through one of STAGES only); returns what
        happened, as COUNT_KEYS."""
        events: list[str] = []
        try:
            if stage is None:
                self._run(invoice_id, document, events)
            else:
                self._run_stage(stage, invoice_id, document, events)
        except (RetriableError, OutcomeUnknownError) as exc:
            # Still unfinished in the ledger: the next run resumes it (and the watermark waits).
            self._note(invoice_id, exc, "deferred")
            events.append("deferred")
        except (NotFoundError, RecordError) as exc:
            self._note(invoice_id, exc, "failed")
            events.append("failed")
        except FatalError as exc:  # credentials, permissions, protocol: every invoice would fail alike
            self._note(invoice_id, exc, "stopping the batch")
            raise
        return events

    # -- by ledger status ----------------------------------------------------------------------------
    def _run(self, invoice_id: str, document: Mapping[str, Any] | None, events: list[str]) -> None:
        entry = self.d.store.get_invoice(self.tenant_id, invoice_id)
        if entry is None:
            log.warning("Invoice %s is not in the ledger of tenant %s; skipped", invoice_id, self.tenant_id)
            events.append("skipped")
        elif entry.status in (Status.REPORTED, Status.TRANSFER_FAILED_REPORTED):
            events.append("skipped")
        elif not self._report_pending(entry, events):
            self._map_and_upsert(entry, document, events)

    def _report_pending(self, entry: LedgerEntry, events: list[str]) -> bool:
        """Report an invoice whose outcome is decided but not yet told to Basware; False if none is."""
        if entry.status is Status.QUARANTINED:
            self._report_failure(entry, events)
        elif entry.status is Status.ACKNOWLEDGED:
            self._report_success(entry, entry.ifs_invoice_key, events)
        elif entry.status is Status.PROPOSAL_CREATED:
            self._acknowledge_and_report(entry, entry.ifs_invoice_key, events)
        else:
            return False
        return True

    def _map_and_upsert(self, entry: LedgerEntry, document: Mapping[str, Any] | None, events: list[str]) -> None:
        d, invoice_id = self.d, entry.invoice_id
        doc = document if document is not None else self._fetch(invoice_id)
        if doc is None:
            events.append("skipped")
            return
        draft = map_document(doc, d.tenant, d.catalog)
        if isinstance(draft, Rejection):
            self._quarantine(entry, draft.reason_code, draft.reason, doc, events)
            self._report_failure(entry, events, draft.reason_code, draft.reason, label(doc))
            return
        if entry.status is Status.EXTRACTED and not d.store.advance(
                self.tenant_id, invoice_id, Status.MAPPED, ifs_company=draft.company, run_id=d.run_id):
            log.info("Invoice %s was taken by another worker; skipped", invoice_id)
            events.append("skipped")
            return
        try:
            if d.suppliers.ensure(draft.supplier_id, draft.company, invoice_id):
                events.append("suppliers_created")
            result = self._upsert(draft)
        except NotFoundError:  # a 404 mid-step: run() fails the invoice for now; not quarantined
            raise
        except (UnknownSupplier, DuplicateProposals, RecordError) as exc:
            code = _reason_code(exc)
            reason = f"{label(doc)}: {_why(exc)}"
            self._quarantine(entry, code, reason, doc, events)
            self._report_failure(entry, events, code, reason, label(doc))
            return
        if result is None:
            events.append("skipped")
            return
        events.append(result.outcome.value)
        self._acknowledge_and_report(entry, result.key.ref, events)

    # -- one stage at a time (the DAG's tasks) ---------------------------------------------------------
    def _run_stage(self, stage: str, invoice_id: str, document: Mapping[str, Any] | None,
                   events: list[str]) -> None:
        """The flow cut at ledger statuses, so each DAG task does one step for a whole batch and its
        retries repeat only that step. Rows in another status are left for the stage that owns it."""
        if stage not in STAGES:
            raise ValueError(f"unknown stage {stage!r}; stages: {', '.join(STAGES)}")
        entry = self.d.store.get_invoice(self.tenant_id, invoice_id)
        if entry is None:
            log.warning("Invoice %s is not in the ledger of tenant %s; skipped", invoice_id, self.tenant_id)
            return
        if stage == "report_back":
            self._report_pending(entry, events)
            return
        if entry.status not in (Status.EXTRACTED, Status.MAPPED):
            return
        mapped = self._map(entry, document, events)
        if mapped is None:
            return
        doc, draft = mapped
        if stage == "map_dimensions":
            return
        try:
            if stage == "reconcile_vendors":
                if self.d.suppliers.ensure(draft.supplier_id, draft.company, invoice_id):
                    events.append("suppliers_created")
                return
            result = self._upsert(draft)
        except NotFoundError:  # a 404 mid-step: run() fails the invoice for now; not quarantined
            raise
        except (UnknownSupplier, DuplicateProposals, RecordError) as exc:
            self._quarantine(entry, _reason_code(exc), f"{label(doc)}: {_why(exc)}", doc, events)
            return
        events.append(result.outcome.value if result else "skipped")

    def _upsert(self, draft: ProposalDraft) -> UpsertResult | None:
        """Look up, create or reconcile the proposal and record it, holding the invoice's lock: an
        overlapping run would otherwise miss our create in its lookup and make a second proposal.
        None when another worker did it meanwhile (or still holds the lock): nothing to do here."""
        d, invoice_id = self.d, draft.invoice_id
        with d.store.lock(f"proposal:{self.tenant_id}:{invoice_id}") as held:
            entry = d.store.get_invoice(self.tenant_id, invoice_id)
            if not held or entry is None or entry.status not in (Status.EXTRACTED, Status.MAPPED):
                log.info("Invoice %s is being or was upserted by another worker; skipped", invoice_id)
                return None
            result = upsert_proposal(d.ifs, draft, settle=d.settle)
            d.store.advance(self.tenant_id, invoice_id, Status.PROPOSAL_CREATED,
                            ifs_invoice_key=result.key.ref, run_id=d.run_id)
            return result

    def _map(self, entry: LedgerEntry, document: Mapping[str, Any] | None,
             events: list[str]) -> tuple[Mapping[str, Any], ProposalDraft] | None:
        """Map (again: it is deterministic for one catalog); a rejection is quarantined, not reported."""
        doc = document if document is not None else self._fetch(entry.invoice_id)
        if doc is None:
            events.append("skipped")
            return None
        draft = map_document(doc, self.d.tenant, self.d.catalog)
        if isinstance(draft, Rejection):
            self._quarantine(entry, draft.reason_code, draft.reason, doc, events)
            return None
        if entry.status is Status.EXTRACTED and not self.d.store.advance(
                self.tenant_id, entry.invoice_id, Status.MAPPED, ifs_company=draft.company, run_id=self.d.run_id):
            log.info("Invoice %s was taken by another worker; skipped", entry.invoice_id)
            events.append("skipped")
            return None
        return doc, draft

    # -- external steps ------------------------------------------------------------------------------
    def _acknowledge_and_report(self, entry: LedgerEntry, reference: str | None, events: list[str]) -> None:
        reporting.acknowledge(self.d.basware, entry.invoice_id)
        self.d.store.advance(self.tenant_id, entry.invoice_id, Status.ACKNOWLEDGED, run_id=self.d.run_id)
        self._report_success(entry, reference, events)

    def _report_success(self, entry: LedgerEntry, reference: str | None, events: list[str]) -> None:
        reference = reference or "?"
        code = reporting.external_code(self.tenant_id, entry.invoice_id, success=True, version=entry.fingerprint)
        self._transfer(entry.invoice_id, code, True, reporting.success_message(reference), reference)
        with self.d.store.transaction() as tx:
            tx.advance(self.tenant_id, entry.invoice_id, Status.REPORTED, external_code=code, run_id=self.d.run_id)
            tx.resolve(self.tenant_id, RECORD_TYPE, entry.invoice_id)  # a replayed invoice leaves quarantine
        events.append("reported")

    def _report_failure(self, entry: LedgerEntry, events: list[str], reason_code: str | None = None,
                        reason: str | None = None, name: str | None = None) -> None:
        if reason_code is None or reason is None:  # resumed: the reason is in the quarantine table
            q = self.d.store.get_quarantined(self.tenant_id, RECORD_TYPE, entry.invoice_id)
            reason_code = q.reason_code if q else "quarantined"
            reason = (q.reason if q else None) or entry.last_error or "see ml-connector quarantine list"
            name = label(q.payload) if q and isinstance(q.payload, Mapping) else None
        code = reporting.external_code(self.tenant_id, entry.invoice_id, success=False, version=entry.fingerprint)
        reporting.acknowledge(self.d.basware, entry.invoice_id)
        self._transfer(entry.invoice_id, code, False, reporting.failure_message(reason_code, reason, name))
        self.d.store.advance(self.tenant_id, entry.invoice_id, Status.TRANSFER_FAILED_REPORTED,
                             external_code=code, run_id=self.d.run_id)
        events.append("failures_reported")

    def _transfer(self, invoice_id: str, code: str, success: bool, message: str,
                  reference: str | None = None) -> None:
        try:
            reporting.transfer(self.d.basware, invoice_id, code=code, success=success, message=message,
                               reference=reference)
        except NotFoundError:  # no such document: nothing Basware could show
            raise
        except RecordError:
            # Refused: fine if Basware already shows this outcome (our earlier response landed unseen).
            if not reporting.basware_shows(self.d.basware, invoice_id, success):
                raise

    def _quarantine(self, entry: LedgerEntry, code: str, reason: str, doc: Mapping[str, Any],
                    events: list[str]) -> None:
        with self.d.store.transaction() as tx:
            tx.quarantine(self.tenant_id, RECORD_TYPE, entry.invoice_id, code, reason, dict(doc), run_id=self.d.run_id)
            tx.advance(self.tenant_id, entry.invoice_id, Status.QUARANTINED, last_error=reason, run_id=self.d.run_id)
        log.warning("Quarantined invoice %s [%s]: %s", entry.invoice_id, code, reason)
        events.append("quarantined")

    def _fetch(self, invoice_id: str) -> Mapping[str, Any] | None:
        doc = self.d.basware.documents.get(invoice_id)
        status = (doc or {}).get("processingStatus")
        if doc is None or status not in OPEN_IN_BASWARE:
            log.warning("Invoice %s is %s in Basware; left alone", invoice_id, status or "not found")
            return None
        return doc

    def _note(self, invoice_id: str, exc: MlConnectorError, what: str) -> None:
        log.warning("Invoice %s %s: %s", invoice_id, what, exc)
        self.d.store.record_error(self.tenant_id, invoice_id, str(exc), run_id=self.d.run_id)


def _reason_code(exc: RecordError) -> str:
    if isinstance(exc, UnknownSupplier):
        return Reason.UNKNOWN_SUPPLIER
    return Reason.DUPLICATE_PROPOSAL if isinstance(exc, DuplicateProposals) else Reason.REJECTED_BY_IFS


def _why(exc: MlConnectorError) -> str:
    if isinstance(exc, RecordError) and not isinstance(exc, (UnknownSupplier, DuplicateProposals)):
        return f"IFS refused it: {exc.api_message or exc.reason}"
    return exc.reason if isinstance(exc, RecordError) else str(exc)
