"""Every token a simulator issued: when, for how long, how often it was presented, and when it stopped
working (revoked, expired by a fault, or refused with 401), so the soak can check the token budget.

Only tokens presented at least once count: one whose answer never reached the client (a lost answer,
a dropped connection) was not the client's choice.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass


@dataclass
class TokenLife:
    issued: float  # time.time()
    lifetime: float  # seconds
    uses: int = 0
    ended: float | None = None  # revoked, or refused with 401: a replacement is due


class TokenLedger:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._lives: dict[str, TokenLife] = {}

    def issued(self, key: str, lifetime: float) -> None:
        with self._lock:
            self._lives[key] = TokenLife(time.time(), float(lifetime))

    def used(self, key: str) -> None:
        with self._lock:
            life = self._lives.get(key)
            if life is not None:
                life.uses += 1

    def ended(self, key: str) -> None:
        with self._lock:
            life = self._lives.get(key)
            if life is not None and life.ended is None:
                life.ended = time.time()

    def end_all(self) -> None:
        with self._lock:
            now = time.time()
            for life in self._lives.values():
                if life.ended is None:
                    life.ended = now

    def lives(self) -> list[TokenLife]:
        with self._lock:
            return sorted((TokenLife(**vars(life)) for life in self._lives.values()), key=lambda t: t.issued)
