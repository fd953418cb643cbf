"""Scrub secrets from text before it reaches a log line or an exception message."""

from __future__ import annotations

import re
import threading
from collections import deque

MASK = "***"
# Shorter values would mangle ordinary words; real secrets and tokens are far longer.
_MIN_SECRET_LEN = 4

# Shapes that are secret whoever produced them: bearer/basic credentials, token fields in JSON or
# form bodies, JWTs and the signature parts of pre-signed URLs.
_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"(?i)\b(authorization\s*[:=]\s*)(bearer|basic)\s+[^\s,;'\"]+"), r"\1\2 " + MASK),
    (re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{8,}"), r"\1 " + MASK),
    (
        re.compile(
            r"(?i)([\"']?(?:access_token|refresh_token|id_token|client_secret|password|"
            r"webhookAuthenticationToken)[\"']?\s*[:=]\s*[\"']?)[^\"'&\s,}]+"
        ),
        r"\1" + MASK,
    ),
    (re.compile(r"\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*"), MASK),
    (re.compile(r"(?i)(X-Amz-(?:Signature|Credential|Security-Token)=)[^&\s]+"), r"\1" + MASK),
)


class Redactor:
    """Known secret values plus secret-shaped patterns.

    Client secrets are pinned for the life of the process; access tokens are kept in a bounded
    window because a long run obtains a new one every few minutes.
    """

    def __init__(self, max_tokens: int = 256) -> None:
        self._lock = threading.Lock()
        self._pinned: set[str] = set()
        self._tokens: deque[str] = deque(maxlen=max_tokens)

    def add(self, secret: str | None, *, pinned: bool = True) -> None:
        if not secret or len(secret) < _MIN_SECRET_LEN:
            return
        with self._lock:
            if pinned:
                self._pinned.add(secret)
            elif secret not in self._tokens:
                self._tokens.append(secret)

    def scrub(self, text: object) -> str:
        out = str(text)
        with self._lock:
            known = sorted(self._pinned.union(self._tokens), key=len, reverse=True)
        for secret in known:  # longest first so a secret containing another is masked whole
            if secret in out:
                out = out.replace(secret, MASK)
        for pattern, repl in _PATTERNS:
            out = pattern.sub(repl, out)
        return out


# One registry per process, like Airflow's secrets masker: every token manager registers here.
REDACTOR = Redactor()


def register_secret(secret: str | None, *, pinned: bool = True) -> None:
    REDACTOR.add(secret, pinned=pinned)


def redact(text: object) -> str:
    return REDACTOR.scrub(text)
