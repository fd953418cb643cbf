"""The set of invoice ids one extract has seen, in about 8 bytes an id instead of about 120.

A month-end burst is 100,000 ids; as a set of str they were the one part of extract's memory that grew
with the burst. Each id is kept as a 64-bit keyed BLAKE2b digest, in a sorted array plus a small set of
recent ones merged into it now and then. The key is random per instance: two ids sharing a digest (about
one chance in 10^9 per 100,000-id run) would make one of them look seen in that run only, and a later run
picks it up with another key.
"""

from __future__ import annotations

import bisect
import hashlib
import os
from array import array

MERGE_AT = 4096  # recent ids kept as a set until merged into the sorted array


class SeenIds:
    def __init__(self) -> None:
        self._key = os.urandom(16)
        self._sorted = array("Q")
        self._recent: set[int] = set()

    def _digest(self, invoice_id: str) -> int:
        return int.from_bytes(hashlib.blake2b(invoice_id.encode(), digest_size=8, key=self._key).digest(), "big")

    def add(self, invoice_id: str) -> None:
        digest = self._digest(invoice_id)
        if digest in self._recent or self._in_sorted(digest):
            return
        self._recent.add(digest)
        if len(self._recent) >= MERGE_AT:
            self._sorted = array("Q", sorted([*self._sorted, *self._recent]))
            self._recent.clear()

    def __contains__(self, invoice_id: object) -> bool:
        if not isinstance(invoice_id, str):
            return False
        digest = self._digest(invoice_id)
        return digest in self._recent or self._in_sorted(digest)

    def __len__(self) -> int:
        return len(self._sorted) + len(self._recent)

    def _in_sorted(self, digest: int) -> bool:
        at = bisect.bisect_left(self._sorted, digest)
        return at < len(self._sorted) and self._sorted[at] == digest
