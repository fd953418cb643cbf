"""GL accounts, cost centers and generic list items: overwrite by code, identical reposts are NotProcessed."""

from __future__ import annotations

import copy
import threading
from typing import Any

from mlc_sandbox.basware.clock import Clock, iso
from mlc_sandbox.seed import Dataset

DEFAULT_LANGUAGE = "en-US"


class MasterDataStore:
    def __init__(self, dataset: Dataset, clock: Clock) -> None:
        self.known_companies = {c.basware_company_code for c in dataset.companies}
        self.clock = clock
        self._lock = threading.Lock()
        # (entity, key) -> (payload, lastUpdated); entity is "Account", "CostCenter" or a list key
        self._records: dict[tuple[str, str], tuple[dict[str, Any], int]] = {}

    def problems(self, payload: dict[str, Any], needs_names: bool) -> list[str]:
        """Business errors: found only after the POST was accepted, reported through requestStatus."""
        found = [f"Record skipped due to wrong or missing CompanyCode {c.get('companyCode')!r}"
                 for c in payload.get("companies") or () if c.get("companyCode") not in self.known_companies]
        if needs_names and not any(n.get("language") == DEFAULT_LANGUAGE for n in payload.get("names") or ()):
            found.append(f"Record skipped: names must include a translation for {DEFAULT_LANGUAGE}")
        return found

    def upsert(self, entity: str, key: str, payload: dict[str, Any]) -> str:
        with self._lock:
            current = self._records.get((entity, key))
            if current is not None and current[0] == payload:
                return "NotProcessed"
            self._records[(entity, key)] = (copy.deepcopy(payload), self.clock.now_us())
            return "Success"

    def get(self, entity: str, key: str) -> dict[str, Any] | None:
        with self._lock:
            found = self._records.get((entity, key))
        return None if found is None else {**copy.deepcopy(found[0]), "lastUpdated": iso(found[1])}

    def listing(self, entity: str) -> list[tuple[tuple[int, str], dict[str, Any]]]:
        with self._lock:
            rows = [((us, key), {**copy.deepcopy(p), "lastUpdated": iso(us)})
                    for (ent, key), (p, us) in self._records.items() if ent == entity]
        return sorted(rows, key=lambda pair: pair[0])
