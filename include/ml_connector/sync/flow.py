"""One invoice through the flow: four stages, each moving it between ledger statuses.

The ledger is written before every external step (design.md, "One invoice, exactly once"):

    map_dimensions     extracted -> mapped                 (or -> quarantined)
    reconcile_vendors  the supplier exists in IFS          (or -> quarantined)
    upsert_proposals   mapped -> proposal_created          (or -> quarantined)
    report_back        proposal_created -> acknowledged -> reported
                       quarantined -> transfer_failed_reported

There is one path: the DAG runs each stage as a task over a whole batch, while `InvoiceFlow.run`
(replay, the tests, a batch run in one process) runs the same stages in order for one invoice.
A stage leaves rows in a status it does not own to the stage that owns it, so a crash anywhere
leaves a status from which the next run repeats only idempotent steps: the proposal is looked up
before it is created, a second acknowledge is Basware's harmless 405, and a transfer response resent
with the same externalCode is recognised as a duplicate.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ml_connector.basware.models import Acknowledgement, Receipt
from ml_connector.http.errors import (
    FatalError,
    MlConnectorError,
    NotFoundError,
    RecordError,
    RetriableError,
)
from ml_connector.http.redact import redact
from ml_connector.state import LedgerEntry, Status
from ml_connector.sync import reporting
from ml_connector.sync.catalog import Catalog
from ml_connector.sync.context import TenantContext
from ml_connector.sync.errors import RECORD_TYPE, DuplicateProposals, DuplicateSupplier, Reason, UnknownSupplier
from ml_connector.sync.invoice_suppliers import SupplierReconciler, VendorDirectory
from ml_connector.sync.mapping import ProposalDraft, Rejection, label, map_document
from ml_connector.sync.proposals import UpsertResult, find_proposals_for, upsert_proposal
from ml_connector.sync.stages import Stage

__all__ = ["COUNT_KEYS", "HOLDING_EVENTS", "InvoiceFlow", "InvoiceItem", "Stage"]

log = logging.getLogger(__name__)

COUNT_KEYS = ("created", "updated", "unchanged", "quarantined", "reported", "failures_reported",
              "deferred", "skipped", "failed", "suppliers_created")
# Events after which an invoice is taken no further in this run (the next run resumes it).
HOLDING_EVENTS = frozenset({"deferred", "failed"})
# Only these Basware states can still be acknowledged or answered.
OPEN_IN_BASWARE = ("WaitingForTransfer", "TransferInProgress")
FINAL = (Status.REPORTED, Status.TRANSFER_FAILED_REPORTED)
UNMAPPED = (Status.EXTRACTED, Status.MAPPED)


@dataclass
class InvoiceItem:
    """One invoice of a batch; a stage that had to fetch the document keeps it for the next stage."""

    invoice_id: str
    document: Mapping[str, Any] | None = None


class InvoiceFlow:
    def __init__(self, ctx: TenantContext, catalog: Catalog, suppliers: SupplierReconciler) -> None:
        self.ctx = ctx
        self.catalog = catalog
        self.suppliers = suppliers
        # invoice id -> (its ledger `upserts` when looked up, the proposals found): see prefetch_proposals.
        self._lookups: dict[str, tuple[int, list[dict[str, Any]]]] = {}
        self._stages: dict[Stage, Callable[[LedgerEntry, InvoiceItem, list[str]], None]] = {
            Stage.MAP_DIMENSIONS: self._map_dimensions,
            Stage.RECONCILE_VENDORS: self._reconcile_vendors,
            Stage.UPSERT_PROPOSALS: self._upsert_proposals,
            Stage.REPORT_BACK: self._report_back,
        }

    @classmethod
    def build(cls, ctx: TenantContext, catalog: Catalog, vendors: VendorDirectory | None = None) -> InvoiceFlow:
        suppliers = SupplierReconciler(ctx.ifs, vendors or VendorDirectory(ctx.basware), ctx.store,
                                       ctx.tenant_id, ctx.run_id, batch_reads=ctx.tenant.ifs.write_mode == "batch")
        return cls(ctx, catalog, suppliers)

    def prefetch_proposals(self, invoice_ids: list[str]) -> None:
        """Look the proposals of a page of mapped invoices up in one query per lookup page. Used under
        an invoice's lock only while its ledger `upserts` is unchanged (see `_upsert`)."""
        entries = self.ctx.store.get_invoices(self.ctx.tenant_id, invoice_ids)
        mapped = [e for e in entries.values() if e.status is Status.MAPPED and e.ifs_company]
        if not mapped:
            return
        found = find_proposals_for(self.ctx.ifs, ((str(e.ifs_company), e.invoice_id) for e in mapped),
                                   self.ctx.tenant.ifs.lookup_page_size,
                                   use_batch=self.ctx.tenant.ifs.write_mode == "batch")
        for e in mapped:
            self._lookups[e.invoice_id] = (e.upserts, found[(str(e.ifs_company), e.invoice_id)])

    def run(self, invoice_id: str, document: Mapping[str, Any] | None = None) -> list[str]:
        """Every stage in order for one invoice, as far as it can go now; returns what happened
        (COUNT_KEYS). Stops after a stage that deferred or failed it, as the DAG's batch does."""
        item = InvoiceItem(invoice_id, document)
        events: list[str] = []
        for stage in Stage:
            events += self.run_stage(stage, item)
            if HOLDING_EVENTS.intersection(events):
                break
        return events

    def run_stage(self, stage: Stage, item: InvoiceItem) -> list[str]:
        """One stage for one invoice. A FatalError (credentials, permissions, protocol) is re-raised:
        every invoice of the batch would fail alike."""
        events: list[str] = []
        try:
            entry = self.ctx.store.get_invoice(self.ctx.tenant_id, item.invoice_id)
            if entry is None:
                if stage is Stage.MAP_DIMENSIONS:
                    log.warning("Invoice %s is not in the ledger of tenant %s; skipped", item.invoice_id,
                                self.ctx.tenant_id)
                    events.append("skipped")
                return events
            self._stages[stage](entry, item, events)
        except RetriableError as exc:
            # Still unfinished in the ledger: the next run resumes it (and the watermark waits).
            self._note(item.invoice_id, exc, "deferred")
            events.append("deferred")
        except RecordError as exc:  # a 404 mid-step too: failed for now, never quarantined
            self._note(item.invoice_id, exc, "failed")
            events.append("failed")
        except FatalError as exc:
            self._note(item.invoice_id, exc, "stopping the batch")
            raise
        return events

    # -- the stages ----------------------------------------------------------------------------------
    def _map_dimensions(self, entry: LedgerEntry, item: InvoiceItem, events: list[str]) -> None:
        if entry.status in FINAL:
            events.append("skipped")
        elif entry.status in UNMAPPED:
            self._mapped(entry, item, events, first=True)

    def _reconcile_vendors(self, entry: LedgerEntry, item: InvoiceItem, events: list[str]) -> None:
        mapped = self._mapped(entry, item, events) if entry.status in UNMAPPED else None
        if mapped is not None:
            doc, draft = mapped
            try:
                if self.suppliers.ensure(draft.supplier_id, draft.company, entry.invoice_id):
                    events.append("suppliers_created")
            except RecordError as exc:
                self._set_aside(entry, doc, exc, events)

    def _upsert_proposals(self, entry: LedgerEntry, item: InvoiceItem, events: list[str]) -> None:
        mapped = self._mapped(entry, item, events) if entry.status in UNMAPPED else None
        if mapped is not None:
            doc, draft = mapped
            try:
                result = self._upsert(draft)
            except RecordError as exc:
                self._set_aside(entry, doc, exc, events)
                return
            events.append(result.outcome.value if result else "skipped")

    def _report_back(self, entry: LedgerEntry, item: InvoiceItem, events: list[str]) -> None:
        """Tell Basware an outcome that is decided but not yet reported."""
        if entry.status is Status.QUARANTINED:
            self._report_failure(entry, events)
        elif entry.status is Status.ACKNOWLEDGED:
            self._report_success(entry, entry.ifs_invoice_key, events)
        elif entry.status is Status.PROPOSAL_CREATED:
            ack = reporting.acknowledge(self.ctx.basware, entry.invoice_id)
            self._advance(entry.invoice_id, Status.ACKNOWLEDGED, detail=_acknowledged(ack))
            self._report_success(entry, entry.ifs_invoice_key, events)

    # -- steps ---------------------------------------------------------------------------------------
    def _mapped(self, entry: LedgerEntry, item: InvoiceItem, events: list[str],
                first: bool = False) -> tuple[Mapping[str, Any], ProposalDraft] | None:
        """The document and its proposal draft (mapping is deterministic for one catalog, so each stage
        maps again). A rejection is quarantined; `first` (the map stage) counts a vanished document."""
        doc = item.document if item.document is not None else self._fetch(item.invoice_id)
        if doc is None:
            if first:
                events.append("skipped")
            return None
        item.document = doc
        draft = map_document(doc, self.ctx.tenant, self.catalog)
        if isinstance(draft, Rejection):
            self._quarantine(entry, draft.reason_code, draft.reason, doc, events)
            return None
        if entry.status is Status.EXTRACTED and not self._advance(entry.invoice_id, Status.MAPPED,
                                                                  ifs_company=draft.company):
            log.info("Invoice %s was taken by another worker; skipped", entry.invoice_id)
            events.append("skipped")
            return None
        return doc, draft

    def _set_aside(self, entry: LedgerEntry, doc: Mapping[str, Any], exc: RecordError, events: list[str]) -> None:
        """A refusal of this one invoice (unknown supplier, duplicate proposals, IFS refusing the record)
        quarantines it; a 404 is no verdict on the record (a wrong path would hit every invoice)."""
        if isinstance(exc, NotFoundError):
            raise exc
        self._quarantine(entry, _reason_code(exc), f"{label(doc)}: {_why(exc)}", doc, events)

    def _upsert(self, draft: ProposalDraft) -> UpsertResult | None:
        """Look up, create or reconcile the proposal and record it, holding the invoice's lock: an
        overlapping run would otherwise miss our create in its lookup and make a second proposal.
        None when another worker did it meanwhile (or still holds the lock): nothing to do here."""
        store, invoice_id = self.ctx.store, draft.invoice_id
        with store.lock(f"proposal:{self.ctx.tenant_id}:{invoice_id}") as held:
            entry = store.get_invoice(self.ctx.tenant_id, invoice_id)
            seen = self._lookups.pop(invoice_id, None)
            if not held or entry is None or entry.status not in UNMAPPED:
                log.info("Invoice %s is being or was upserted by another worker; skipped", invoice_id)
                return None
            # A changed `upserts` means another worker tried meanwhile: its create may be in IFS unrecorded.
            fresh = seen is not None and seen[0] == entry.upserts and entry.ifs_company == draft.company
            found = seen[1] if seen is not None and fresh else None
            store.begin_upsert(self.ctx.tenant_id, invoice_id)
            result = upsert_proposal(self.ctx.ifs, draft, settle=self.ctx.settle, found=found,
                                     batch=self.ctx.tenant.ifs.write_mode == "batch")
            self._advance(invoice_id, Status.PROPOSAL_CREATED, ifs_invoice_key=result.key.ref)
            return result

    def _report_success(self, entry: LedgerEntry, reference: str | None, events: list[str]) -> None:
        reference = reference or "?"
        tenant_id, run_id = self.ctx.tenant_id, self.ctx.run_id
        code = reporting.external_code(tenant_id, entry.invoice_id, success=True, version=entry.fingerprint)
        receipt = self._transfer(entry.invoice_id, code, True, reporting.success_message(reference), reference)
        with self.ctx.store.transaction() as tx:
            tx.advance(tenant_id, entry.invoice_id, Status.REPORTED, external_code=code, run_id=run_id,
                       detail=_transferred(receipt, True))
            tx.resolve(tenant_id, RECORD_TYPE, entry.invoice_id)  # a replayed invoice leaves quarantine
        self._log_reported(entry, True, code, receipt, reference)
        events.append("reported")

    def _report_failure(self, entry: LedgerEntry, events: list[str]) -> None:
        q = self.ctx.store.get_quarantined(self.ctx.tenant_id, RECORD_TYPE, entry.invoice_id)
        reason_code = q.reason_code if q else "quarantined"
        reason = (q.reason if q else None) or entry.last_error or "see ml-connector quarantine list"
        name = label(q.payload) if q and isinstance(q.payload, Mapping) else None
        code = reporting.external_code(self.ctx.tenant_id, entry.invoice_id, success=False,
                                       version=entry.fingerprint)
        ack = reporting.acknowledge(self.ctx.basware, entry.invoice_id)
        # Not a ledger step (quarantined goes straight to transfer_failed_reported), but part of the story.
        self.ctx.store.note_event(self.ctx.tenant_id, entry.invoice_id, Status.ACKNOWLEDGED, _acknowledged(ack),
                                  run_id=self.ctx.run_id)
        receipt = self._transfer(entry.invoice_id, code, False,
                                 reporting.failure_message(reason_code, reason, name))
        self._advance(entry.invoice_id, Status.TRANSFER_FAILED_REPORTED, external_code=code,
                      detail=_transferred(receipt, False))
        self._log_reported(entry, False, code, receipt, None)
        events.append("failures_reported")

    def _transfer(self, invoice_id: str, code: str, success: bool, message: str,
                  reference: str | None = None) -> Receipt:
        try:
            return reporting.transfer(self.ctx.basware, invoice_id, code=code, success=success, message=message,
                                      reference=reference)
        except NotFoundError:
            raise
        except RecordError as exc:
            # Refused: fine if Basware already shows this outcome (our earlier response landed unseen).
            if not reporting.basware_shows(self.ctx.basware, invoice_id, success):
                raise
            return Receipt(exc.client_request_id, exc.request_id)

    def _log_reported(self, entry: LedgerEntry, success: bool, code: str, receipt: Receipt,
                      reference: str | None) -> None:
        log.info("Reported %s to Basware as %s: tenant %s, IFS proposal %s, externalCode %s, "
                 "client_request_id %s, basware_request_id %s", _named(entry), reporting.basware_state(success),
                 self.ctx.tenant_id, reference or entry.ifs_invoice_key or "-", code, receipt.client_request_id,
                 receipt.request_id)

    def _quarantine(self, entry: LedgerEntry, code: str, reason: str, doc: Mapping[str, Any],
                   events: list[str]) -> None:
        tenant_id, run_id = self.ctx.tenant_id, self.ctx.run_id
        with self.ctx.store.transaction() as tx:
            tx.quarantine(tenant_id, RECORD_TYPE, entry.invoice_id, code, reason, dict(doc), run_id=run_id)
            tx.advance(tenant_id, entry.invoice_id, Status.QUARANTINED, last_error=reason, run_id=run_id)
        log.warning("Quarantined %s [%s]: %s", _named(entry), code, reason)
        events.append("quarantined")

    def _advance(self, invoice_id: str, status: Status, **changes: Any) -> bool:
        return self.ctx.store.advance(self.ctx.tenant_id, invoice_id, status, run_id=self.ctx.run_id, **changes)

    def _fetch(self, invoice_id: str) -> Mapping[str, Any] | None:
        doc = self.ctx.basware.documents.get(invoice_id)
        status = (doc or {}).get("processingStatus")
        if doc is None or status not in OPEN_IN_BASWARE:
            log.warning("Invoice %s is %s in Basware; left alone", invoice_id, status or "not found")
            return None
        return doc

    def _note(self, invoice_id: str, exc: MlConnectorError, what: str) -> None:
        log.warning("Invoice %s of tenant %s %s: %s", invoice_id, self.ctx.tenant_id, what, exc)
        self.ctx.store.record_error(self.ctx.tenant_id, invoice_id, redact(str(exc)), run_id=self.ctx.run_id)


def _named(entry: LedgerEntry) -> str:
    """`invoice 4711 (no. INV-2026-001)`: the id for tracing, the number the AP team knows."""
    return f"invoice {entry.invoice_id}" + (f" (no. {entry.invoice_number})" if entry.invoice_number else "")


def _acknowledged(ack: Acknowledgement) -> dict[str, str]:
    return {**ack.receipt.to_json(), "basware_state": ack.result.value}


def _transferred(receipt: Receipt, success: bool) -> dict[str, str]:
    return {**receipt.to_json(), "basware_state": reporting.basware_state(success)}


def _reason_code(exc: RecordError) -> str:
    if isinstance(exc, UnknownSupplier):
        return Reason.UNKNOWN_SUPPLIER
    if isinstance(exc, DuplicateSupplier):
        return Reason.DUPLICATE_SUPPLIER
    return Reason.DUPLICATE_PROPOSAL if isinstance(exc, DuplicateProposals) else Reason.REJECTED_BY_IFS


def _why(exc: RecordError) -> str:
    if not isinstance(exc, (UnknownSupplier, DuplicateSupplier, DuplicateProposals)):
        return f"IFS refused it: {exc.api_message or exc.reason}"
    return exc.reason
