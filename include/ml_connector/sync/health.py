"""Connection and token health per tenant, kept as reports in the state store for the operations page.

A token report is written each time a task's client obtains a token (IFS: every few minutes, Basware:
hourly) and a check report each time `ml-connector connect` or `check` pings a system. Only outcomes
and redacted messages are kept, never a token.
"""

from __future__ import annotations

import re

from ml_connector.http.tokens import TokenObserver
from ml_connector.state import StateStore

SYSTEMS = {"basware": "Basware", "ifs_cloud": "IFS Cloud"}  # slug -> the name a CheckResult carries


def system_slug(name: str) -> str:
    """"IFS Cloud" -> "ifs_cloud", "IFS field map" -> "ifs_field_map": the key of a check report."""
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")


def token_report(system: str) -> str:
    return f"token:{system}"


def token_failure_report(system: str) -> str:
    return f"token_failure:{system}"


def check_report(system: str) -> str:
    return f"check:{system}"


def token_observer(store: StateStore, tenant_id: str, system: str) -> TokenObserver:
    """For `TokenManager.observe`: the last token obtained and the last failure, per system."""
    def observe(ok: bool, reason: str | None) -> None:
        if ok:
            store.put_report(tenant_id, token_report(system), {"ok": True})
        else:
            store.put_report(tenant_id, token_failure_report(system), {"reason": reason})
    return observe


def record_check(store: StateStore, tenant_id: str, system_name: str, ok: bool, message: str) -> None:
    """One connection check's outcome; a passing check of a system also obtained a token from it."""
    slug = system_slug(system_name)
    store.put_report(tenant_id, check_report(slug), {"system": system_name, "ok": ok, "message": message})
    if ok and slug in SYSTEMS:
        store.put_report(tenant_id, token_report(slug), {"ok": True, "by": "check"})
