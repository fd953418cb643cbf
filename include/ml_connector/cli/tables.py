"""Plain-text tables for the command line (no dependency for something this small)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def render(headers: Sequence[str], rows: Sequence[Sequence[Any]], *, indent: str = "",
           right: Sequence[int] = ()) -> str:
    """Columns padded to their widest cell; `right` lists the columns to right-align (numbers)."""
    cells = [[str(h) for h in headers], *[["" if v is None else str(v) for v in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = []
    for row in cells:
        parts = [c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(row, widths, strict=False))]
        lines.append(indent + "  ".join(parts).rstrip())
    return "\n".join(lines)
