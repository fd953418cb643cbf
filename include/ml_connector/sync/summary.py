"""The few readable lines each task ends its log with: what it did, as counts (never a Python dict)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any


def count_line(counts: Mapping[str, Any], headline: Sequence[str] = ()) -> str:
    """`invoices 3, created 2, quarantined 0, rejected 1`: the `headline` counts always, in that order,
    then the others that are not zero."""
    shown = [(k, counts.get(k, 0)) for k in headline]
    shown += [(k, v) for k, v in counts.items() if k not in headline and v and not isinstance(v, (dict, list))]
    return ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in shown) or "nothing to do"


def task_summary(tenant_id: str, run_id: str, task: str, counts: Mapping[str, Any],
                 headline: Sequence[str] = (), more: Iterable[str] = ()) -> str:
    """`Tenant acme run manual__1, extract:` and its counts below; `more` lines follow as they are."""
    return "\n".join([f"Tenant {tenant_id} run {run_id}, {task}:", f"  {count_line(counts, headline)}",
                      *(f"  {line}" for line in more)])
