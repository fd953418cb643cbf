"""GL accounts, cost centers and generic list items, keyed by externalCode: POST overwrites, PATCH merges,
an identical repost is NotProcessed, DELETE removes from the API layer."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from typing import Any

from mlc_sandbox.basware.clock import Clock, iso
from mlc_sandbox.seed import Dataset

DEFAULT_LANGUAGE = "en-US"


class MasterDataStore:
    def __init__(self, dataset: Dataset, clock: Clock) -> None:
        self.known_companies = {c.basware_company_code for c in dataset.companies}
        self.clock = clock
        self._lock = threading.Lock()
        # (entity, externalCode) -> (payload as canonical JSON text, lastUpdated); entity is "Account",
        # "CostCenter" or a list key. Text, not dicts: a stored record cannot be changed through a
        # reference handed out, and decoding is the copy (several times faster than deepcopy).
        self._records: dict[tuple[str, str], tuple[str, int]] = {}
        self._companies: dict[tuple[str, str], frozenset[str]] = {}  # the companyCodes of each record
        # The sorted listings asked for since the last write: paging through 15,000 list items asks for
        # the same one 30 times, and building it each time made the paging quadratic.
        self._listings: dict[tuple[str, int | None, str | None], list[Any]] = {}

    def problems(self, payload: dict[str, Any], names_field: str | None) -> list[str]:
        """Business errors: found only after the POST was accepted, reported through requestStatus."""
        found = [f"Record skipped due to wrong or missing CompanyCode {c.get('companyCode')!r}"
                 for c in payload.get("companies") or () if c.get("companyCode") not in self.known_companies]
        names = payload.get(names_field) or () if names_field else None
        if names is not None and not any(n.get("language") == DEFAULT_LANGUAGE for n in names):
            found.append(f"Record skipped: {names_field} must include a translation for {DEFAULT_LANGUAGE}")
        return found

    def upsert(self, entity: str, payload: dict[str, Any]) -> str:
        key = (entity, payload["externalCode"])
        text = _text(payload)
        with self._lock:
            current = self._records.get(key)
            if current is not None and current[0] == text:
                return "NotProcessed"
            self._records[key] = (text, self.clock.now_us())
            self._listings.clear()
            self._companies[key] = frozenset(str(c.get("companyCode")) for c in payload.get("companies") or ())
            return "Success"

    def get(self, entity: str, code: str) -> dict[str, Any] | None:
        with self._lock:
            found = self._records.get((entity, code))
        return None if found is None else {**json.loads(found[0]), "lastUpdated": iso(found[1])}

    def payload(self, entity: str, code: str) -> dict[str, Any] | None:
        with self._lock:
            found = self._records.get((entity, code))
        return None if found is None else json.loads(found[0])

    def listing(self, entity: str, updated_after_us: int | None = None,
                company: str | None = None) -> list[tuple[tuple[int, str], Callable[[], dict[str, Any]]]]:
        """Sorted (key, record) pairs, each record decoded only when called: a page decodes its own
        500, not the whole list (paging through 15,000 list items was quadratic)."""
        with self._lock:
            cached = self._listings.get((entity, updated_after_us, company))
            if cached is None:
                rows = [((us, key), _decoder(text, us)) for (ent, key), (text, us) in self._records.items()
                        if ent == entity and (updated_after_us is None or us > updated_after_us)
                        and (company is None or company in self._companies[(ent, key)])]
                cached = self._listings[(entity, updated_after_us, company)] = sorted(rows, key=lambda p: p[0])
        return cached

    def delete(self, entity: str, code: str | None, updated_after_us: int | None) -> int:
        with self._lock:
            doomed = [k for k, (_, us) in self._records.items() if k[0] == entity
                      and (code is None or k[1] == code) and (updated_after_us is None or us > updated_after_us)]
            self._listings.clear()
            for key in doomed:
                del self._records[key]
                self._companies.pop(key, None)
            return len(doomed)


def _text(payload: dict[str, Any]) -> str:
    return json.dumps(payload, sort_keys=True, separators=(",", ":"))


def _decoder(text: str, us: int) -> Callable[[], dict[str, Any]]:
    return lambda: {**json.loads(text), "lastUpdated": iso(us)}
