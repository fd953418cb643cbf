"""Supplier check inside the invoice flow: the invoice's supplier must exist in IFS before its proposal.

Basware's supplierCode is the IFS SupplierId. A supplier missing in IFS is created from the Basware
vendor record (and written to the audit trail); a supplier unknown to both systems quarantines the
invoice. IFS suppliers of a batch are checked in a few bulk reads; Basware vendors are paged at most
once per reconciler, and only when some supplier is missing.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping
from typing import Any

from ml_connector.basware.client import BaswareClient
from ml_connector.field_map import SuppliersMap
from ml_connector.http.errors import NotFoundError, OutcomeUnknownError, RecordError
from ml_connector.ifs.client import IfsClient
from ml_connector.ifs.many import Read
from ml_connector.ifs.odata import F, Query
from ml_connector.state import AuditAction, SourceSystem, StateStore
from ml_connector.sync.errors import CreateOutcomeUnknown, UnknownSupplier
from ml_connector.sync.vendor_duplicates import DuplicateGuard

log = logging.getLogger(__name__)

IDS_PER_QUERY = 40  # keeps a $filter of or-ed ids well inside URL limits
NAME_MAX = 100
_COUNTRY = re.compile(r"^[A-Z]{2}$")


class VendorDirectory:
    """Basware vendors by vendorCode (then externalCode), paged once on first need."""

    def __init__(self, basware: BaswareClient) -> None:
        self._basware = basware
        self._by_code: dict[str, dict[str, Any]] | None = None
        self._by_external: dict[str, dict[str, Any]] = {}

    def find(self, supplier_code: str) -> dict[str, Any] | None:
        if self._by_code is None:
            self._load()
        assert self._by_code is not None
        return self._by_code.get(supplier_code) or self._by_external.get(supplier_code)

    def _load(self) -> None:
        self._by_code = {}
        for vendor in self._basware.vendors.iter():
            if vendor.get("vendorCode"):
                self._by_code.setdefault(str(vendor["vendorCode"]).strip(), vendor)
            if vendor.get("externalCode"):
                self._by_external.setdefault(str(vendor["externalCode"]).strip(), vendor)
        log.info("Indexed %d Basware vendors", len(self._by_code))


class SupplierReconciler:
    def __init__(self, ifs: IfsClient, vendors: VendorDirectory, store: StateStore, tenant_id: str,
                 run_id: str | None, *, batch_reads: bool = True) -> None:
        self._ifs = ifs
        self._batch_reads = batch_reads
        self._vendors = vendors
        self._store = store
        self._tenant_id = tenant_id
        self._run_id = run_id
        self._known: set[str] = set()
        self._duplicates = DuplicateGuard(ifs, store, tenant_id, run_id)
        self._absent: set[str] = set()  # not in IFS when prefetched: no second GET to learn it again

    def prefetch(self, supplier_ids: Iterable[str]) -> None:
        """Remember which of these suppliers IFS already has (bulk reads instead of one GET each)."""
        cfg = self._ifs.fields.suppliers
        key = cfg.supplier_id
        ids = sorted({s for s in supplier_ids if s} - self._known)
        reads = [Read(cfg.entity_set, Query(filter=F(key).any_of(ids[start:start + IDS_PER_QUERY]), select=(key,)))
                 for start in range(0, len(ids), IDS_PER_QUERY)]
        for rows in self._ifs.read_all(cfg.projection, reads, use_batch=self._batch_reads):
            self._known.update(str(row[key]) for row in rows)
        self._absent.update(set(ids) - self._known)

    def ensure(self, supplier_id: str, company: str, invoice_id: str) -> bool:
        """True when the supplier had to be created; UnknownSupplier when no system knows it."""
        if supplier_id in self._known or (supplier_id not in self._absent and self.exists(supplier_id)):
            self._known.add(supplier_id)
            return False
        vendor = self._vendors.find(supplier_id)
        if vendor is None:
            raise UnknownSupplier(f"supplier {supplier_id} exists neither in IFS nor as a Basware vendor",
                                  record_id=invoice_id)
        self.create(supplier_id, vendor, company)
        return True

    def exists(self, supplier_id: str) -> bool:
        cfg = self._ifs.fields.suppliers
        try:
            self._ifs.reads.get(cfg.projection, cfg.entity_set, {cfg.supplier_id: supplier_id},
                                select=(cfg.supplier_id,))
        except NotFoundError:
            return False
        return True

    def create(self, supplier_id: str, vendor: Mapping[str, Any], company: str | None) -> None:
        """Create the IFS supplier from a Basware vendor, with its audit row: the one creation path of both
        the invoice flow and the vendor sync (sync/vendors.py). A vendor that looks like a supplier IFS
        already has is held for a person instead (DuplicateSupplier; sync/vendor_duplicates.py)."""
        self._create(supplier_id, vendor, company)
        self._known.add(supplier_id)

    def _create(self, supplier_id: str, vendor: Mapping[str, Any], company: str | None) -> None:
        cfg = self._ifs.fields.suppliers
        body = supplier_body(cfg, supplier_id, vendor)
        self._duplicates.before_create(supplier_id, vendor)
        try:
            self._ifs.writes.create(cfg.projection, cfg.entity_set, body)
        except OutcomeUnknownError:
            if not self.exists(supplier_id):
                raise CreateOutcomeUnknown(f"creating IFS supplier {supplier_id} got no answer and IFS "
                                           "does not show it; left for the next run") from None
        except NotFoundError:  # the set itself is missing: not a concurrent create
            raise
        except RecordError:
            if not self.exists(supplier_id):  # else a concurrent batch created it first: fine
                raise
            return
        self._store.audit(self._tenant_id, "vendor", supplier_id, AuditAction.CREATED, SourceSystem.BASWARE,
                          {k: {"before": None, "after": v} for k, v in body.items()}, run_id=self._run_id)
        log.info("Created IFS supplier %s from the Basware vendor", supplier_id)
        self._duplicates.after_create(supplier_id, vendor)
        if company:
            self._link_company(supplier_id, vendor, company)

    def _link_company(self, supplier_id: str, vendor: Mapping[str, Any], company: str) -> None:
        # Supplier invoice info per company (pay terms, currency); IFS wants it before invoices post.
        cfg = self._ifs.fields.suppliers
        link = cfg.companies
        body = {link.company: company,
                link.pay_term: _payment_term(vendor),
                link.currency: _default(vendor, "paymentMeans", "currencyCode")}
        try:
            self._ifs.writes.create(cfg.projection, cfg.entity_set, {k: v for k, v in body.items() if k and v},
                                    keys={cfg.supplier_id: supplier_id}, navigation=link.navigation)
        except NotFoundError:  # the invoice fails for now, as any 404 does
            raise
        except (RecordError, OutcomeUnknownError) as exc:
            log.warning("IFS supplier %s: company %s link not created (%s)", supplier_id, company, exc)


def supplier_body(names: SuppliersMap, supplier_id: str, vendor: Mapping[str, Any]) -> dict[str, Any]:
    """An IFS supplier (in the tenant's names) from a Basware VendorEntity (tolerant of missing parts)."""
    name = str(vendor.get("name") or supplier_id).strip()[:NAME_MAX]
    addresses = [a for a in vendor.get("addresses") or () if isinstance(a, Mapping)]
    address = next((a for a in addresses if a.get("default")), addresses[0] if addresses else None)
    country = str(address.get("countryId") or "").upper() if address else ""
    identifiers = [i for i in vendor.get("identifiers") or () if isinstance(i, Mapping) and i.get("id")]
    vat = next((i for i in identifiers if str(i.get("schemeId", "")).upper() == "VAT"),
               identifiers[0] if identifiers else None)
    body = {names.supplier_id: supplier_id, names.name: name,
            names.country: country if _COUNTRY.match(country) else None,
            names.association_no: str(vat["id"]) if vat else None,
            names.currency: _default(vendor, "paymentMeans", "currencyCode")}
    return {k: v for k, v in body.items() if k and v is not None}


def _default(vendor: Mapping[str, Any], list_name: str, field: str) -> str | None:
    """`field` of the list entry flagged `default`, else of the first entry that has it."""
    items = [i for i in vendor.get(list_name) or () if isinstance(i, Mapping) and i.get(field)]
    chosen = next((i for i in items if i.get("default")), items[0] if items else None)
    return str(chosen[field]) if chosen else None


def _payment_term(vendor: Mapping[str, Any]) -> str | None:
    """A vendor has one `paymentTerms` object (VendorPaymentTermEntity), not a list."""
    terms = vendor.get("paymentTerms")
    code = terms.get("paymentTermCode") if isinstance(terms, Mapping) else None
    return str(code) if code else None
