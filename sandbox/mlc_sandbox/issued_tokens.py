"""Where the simulators report each access token they issue, so a secrets test can look for the very
tokens the connector held (they are random: nothing else could tell the test what to look for)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

TokenListener = Callable[[str], None]


class TokenLog:
    """Appends each token to a file, one a line; several processes may share the file."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()

    def __call__(self, token: str) -> None:
        with self._lock, self.path.open("a", encoding="ascii") as out:
            out.write(token + "\n")

    def tokens(self) -> list[str]:
        return self.path.read_text(encoding="ascii").split() if self.path.exists() else []
