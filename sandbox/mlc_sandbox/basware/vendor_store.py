"""Vendors managed through the API: create-or-overwrite by externalCode, partial PATCH, and manual UI edits.

A manual edit in the Basware UI changes the stored vendor (lastModifiedBy "UI"); the next API import of
that vendor overwrites it, as Basware warns. Vendors created only in the UI are not returned by the API.
Business rules Basware states for POST /v1/vendors (its notes 2 and 4: currencies must be active in P2P,
companies must exist) are checked after the 200 and reported per record in requestStatus.
"""

from __future__ import annotations

import copy
import random
import threading
from dataclasses import dataclass
from typing import Any

from mlc_sandbox.basware.clock import Clock, iso, to_us
from mlc_sandbox.seed import Dataset, Supplier

_STREETS = ("Industrial Way", "Harbour Road", "Main Street", "Mill Lane", "Station Road", "Market Square")
_CITIES = {"US": "Columbus", "DE": "Stuttgart", "MX": "Monterrey", "CN": "Suzhou", "GB": "Leeds",
           "FR": "Lyon", "SE": "Gothenburg", "FI": "Tampere"}


@dataclass
class VendorRecord:
    payload: dict[str, Any]
    last_updated_us: int
    modified_by: str  # "API" or "UI"
    api_managed: bool

    def view(self) -> dict[str, Any]:
        """The VendorEntity the API returns."""
        return {**copy.deepcopy(self.payload), "lastUpdated": iso(self.last_updated_us)}

    def admin_view(self) -> dict[str, Any]:
        return {**self.view(), "lastModifiedBy": self.modified_by, "apiManaged": self.api_managed}


def seed_vendor(dataset: Dataset, supplier: Supplier) -> dict[str, Any]:
    """A vendor in Basware's VendorEntity shape, as an ERP integration would have posted it."""
    rng = random.Random(f"{dataset.config.seed}:vendor:{supplier.supplier_id}")
    companies = [c.basware_company_code for ifs in supplier.companies if (c := dataset.company(ifs))]
    return {
        "externalCode": supplier.supplier_id,
        "vendorCode": supplier.supplier_id,
        "name": supplier.name,
        "companies": [{"companyCode": code, "inheritToChildUnits": True} for code in companies],
        "identifiers": [{"id": supplier.vat_no, "schemeId": "VAT", "defaultPartyId": True}],
        "addresses": [{"externalCode": f"{supplier.supplier_id}-POSTAL", "name": supplier.name,
                       "addressType": "PostalAddress",
                       "streetName": f"{rng.randint(1, 250)} {rng.choice(_STREETS)}",
                       "cityName": _CITIES[supplier.country], "postalZone": f"{rng.randint(10000, 99999)}",
                       "countryId": supplier.country, "default": True}],
        "paymentMeans": [{"paymentMeansCode": "IBAN", "currencyCode": supplier.currency, "default": True,
                          "financialAccounts": [{"financialAccountIdentifiers": [
                              {"schemeId": "IBAN", "id": f"{supplier.country}{rng.randint(10**17, 10**18 - 1)}",
                               "currencyCode": supplier.currency, "default": True}]}]}],
        "paymentTerms": {"paymentTermCode": rng.choice(("NET14", "NET30", "NET45", "NET60"))},
        "processingStatus": {"active": True, "paymentDenied": False},
    }


class VendorStore:
    def __init__(self, dataset: Dataset, clock: Clock) -> None:
        self.dataset = dataset
        self.clock = clock
        self._lock = threading.Lock()
        self._vendors: dict[str, VendorRecord] = {}
        self.known_companies = {c.basware_company_code for c in dataset.companies}
        # Active currencies are kept by hand in P2P; these are the seed's (tests may deactivate one).
        self.active_currencies = ({c.currency for c in dataset.companies}
                                  | {s.currency for s in dataset.suppliers} | {"EUR", "USD", "GBP"})
        for supplier in dataset.basware_vendors:
            self._vendors[supplier.supplier_id] = VendorRecord(
                seed_vendor(dataset, supplier), to_us(supplier.modified_date), "API", True)
            clock.advance_past(to_us(supplier.modified_date))

    def problems(self, payload: dict[str, Any]) -> list[str]:
        """Business errors Basware finds only after accepting the request."""
        found = [f"Record skipped due to wrong or missing CompanyCode {c.get('companyCode')!r}"
                 for c in payload.get("companies") or () if c.get("companyCode") not in self.known_companies]
        found += [f"Record skipped: currency {m['currencyCode']!r} is not active in P2P"
                  for m in payload.get("paymentMeans") or ()
                  if m.get("currencyCode") and m["currencyCode"] not in self.active_currencies]
        return found

    def upsert(self, payload: dict[str, Any]) -> str:
        """Create or overwrite; "NotProcessed" when the API already holds exactly this record."""
        code = payload["externalCode"]
        with self._lock:
            current = self._vendors.get(code)
            if current is not None and current.api_managed and current.payload == payload:
                return "NotProcessed"
            self._vendors[code] = VendorRecord(copy.deepcopy(payload), self.clock.now_us(), "API", True)
            return "Success"

    def delete(self, code: str | None, updated_after_us: int | None) -> int:
        """DELETE /v1/vendors: API records by externalCode and/or updated after a time; UI-only ones stay."""
        with self._lock:
            doomed = [c for c, r in self._vendors.items() if r.api_managed and (code is None or c == code)
                      and (updated_after_us is None or r.last_updated_us > updated_after_us)]
            for c in doomed:
                del self._vendors[c]
            return len(doomed)

    def get(self, code: str, api_only: bool = True) -> VendorRecord | None:
        with self._lock:
            record = self._vendors.get(code)
        if record is None or (api_only and not record.api_managed):
            return None
        return record

    def manual_edit(self, code: str, changes: dict[str, Any]) -> VendorRecord:
        """What an AP user does in the Basware UI; an unknown code creates a UI-only vendor."""
        with self._lock:
            current = self._vendors.get(code)
            payload = copy.deepcopy(current.payload) if current else {"vendorCode": code}
            payload.update(copy.deepcopy(changes))
            payload["externalCode"] = code
            api_managed = current.api_managed if current else False
            record = VendorRecord(payload, self.clock.now_us(), "UI", api_managed)
            self._vendors[code] = record
            return record

    def listing(self, updated_after_us: int | None,
                company: str | None = None) -> list[tuple[tuple[int, str], dict[str, Any]]]:
        with self._lock:
            records = [(code, r) for code, r in self._vendors.items() if r.api_managed]
        rows = [((r.last_updated_us, code), r.view()) for code, r in records
                if (updated_after_us is None or r.last_updated_us > updated_after_us)
                and (company is None or any(c.get("companyCode") == company for c in r.payload["companies"]))]
        return sorted(rows, key=lambda pair: pair[0])
