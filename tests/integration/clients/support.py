"""Helpers for the client integration tests: clients on the sandbox, admin calls, request-log queries.

Faults and settings go through the simulators' `/_sandbox` admin endpoints, as a user of the sandbox
would drive them; assertions read the simulators' request logs, never our own code's internals.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import requests

from ml_connector.basware.client import BaswareClient
from ml_connector.http.retry import RetryPolicy
from ml_connector.ifs.client import IfsClient
from mlc_sandbox.runner import Sandbox

# Real backoff shape, small numbers: the tests exercise the policy, not the clock.
FAST_RETRY = RetryPolicy(max_attempts=5, max_total_seconds=20.0, initial_wait=0.02, max_wait=0.1, jitter=0.02)
FAST_CONFLICT = RetryPolicy(max_attempts=4, max_total_seconds=10.0, initial_wait=0.01, max_wait=0.05,
                            jitter=0.01)
SUPPLIERS = ("SupplierHandling", "SupplierInfoGeneralSet")


def admin(base_url: str, method: str, path: str, body: Any = None) -> Any:
    resp = requests.request(method, f"{base_url}/_sandbox{path}", json=body, timeout=10)
    assert resp.status_code < 300, resp.text
    return resp.json() if resp.content else None


def add_fault(base_url: str, **rule: Any) -> None:
    admin(base_url, "POST", "/faults", rule)


def bw_client(sb: Sandbox, *, secret: str | None = None, **kwargs: Any) -> BaswareClient:
    creds = sb.credentials()["basware"]
    kwargs.setdefault("retry", FAST_RETRY)
    return BaswareClient(sb.basware_url, creds["client_id"], secret or creds["client_secret"], **kwargs)


def ifs_client(sb: Sandbox, *, secret: str | None = None, **kwargs: Any) -> IfsClient:
    creds = sb.credentials()["ifs"]
    kwargs.setdefault("retry", FAST_RETRY)
    kwargs.setdefault("conflict_retry", FAST_CONFLICT)
    return IfsClient(sb.ifs_url, creds["realm"], creds["client_id"], secret or creds["client_secret"],
                     **kwargs)


def entries(log: list[dict[str, Any]], method: str | None = None,
            path: str | Callable[[str], bool] | None = None) -> list[dict[str, Any]]:
    """Request-log entries by method and path (exact path, or a predicate), in arrival order."""
    def keep(entry: dict[str, Any]) -> bool:
        if method and entry["method"] != method:
            return False
        if path is None:
            return True
        return path(entry["path"]) if callable(path) else entry["path"] == path
    return sorted((e for e in log if keep(e)), key=lambda e: e["time"])


def ifs_token_path(sb: Sandbox) -> str:
    return f"/auth/realms/{sb.credentials()['ifs']['realm']}/protocol/openid-connect/token"


class SleepRecorder:
    """Records each wait the retry policy asks for, then really sleeps (real HTTP, real time)."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        import time

        self.waits.append(seconds)
        time.sleep(seconds)
