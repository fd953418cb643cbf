""""Add your credentials and ping your real systems": one token plus one harmless read per system.

Used by the hooks' Test connection button and by `ml-connector connect/check`. Reads only: never a
POST, so pressing the button on a production tenant changes nothing.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from ml_connector.basware.client import BaswareClient
from ml_connector.http.errors import MlConnectorError
from ml_connector.http.retry import RetryPolicy
from ml_connector.ifs.client import IfsClient
from ml_connector.ifs.contract import check_contract
from ml_connector.ifs.odata import F, Query

# A check answers "do these credentials work now?": a token of its own (not one a shared manager holds),
# one attempt per call, no backoff. An unreachable host fails at once with one line, not after seconds of
# retries (tasks keep the full retry policy).
CHECK_CLIENT_OPTIONS: dict[str, Any] = {"retry": RetryPolicy(max_attempts=1), "timeout": (5.0, 30.0),
                                        "share_tokens": False}


@dataclass
class CheckResult:
    system: str
    ok: bool
    message: str
    timings_ms: dict[str, float] = field(default_factory=dict)

    def line(self) -> str:
        timing = ", ".join(f"{step} {ms:.0f} ms" for step, ms in self.timings_ms.items())
        return f"{'PASS' if self.ok else 'FAIL'} {self.system}: {self.message}" + (f" ({timing})" if timing else "")


def _timed(timings: dict[str, float], step: str, call: Callable[[], Any]) -> Any:
    started = time.perf_counter()
    try:
        return call()
    finally:
        timings[step] = (time.perf_counter() - started) * 1000


def check_basware(client: BaswareClient) -> CheckResult:
    timings: dict[str, float] = {}
    try:
        _timed(timings, "token", client.tokens.get_token)
        documents = client.documents.iter(page_size=1)
        first = _timed(timings, "read", lambda: next(documents, None))
        documents.close()
    except MlConnectorError as exc:
        return CheckResult("Basware", False, str(exc), timings)
    seen = "documents are waiting for transfer" if first else "no documents waiting for transfer"
    return CheckResult("Basware", True, f"token accepted, accountingDocuments readable ({seen})", timings)


def check_ifs(client: IfsClient, companies: Iterable[str] = ()) -> CheckResult:
    """Token, one `$top=1` read, and every configured company visible to the service user.

    IFS answers an ungranted company with empty results, not an error, so this is checked explicitly.
    """
    timings: dict[str, float] = {}
    wanted = list(companies)
    names = client.fields.companies
    try:
        _timed(timings, "token", client.tokens.get_token)
        _timed(timings, "read", lambda: list(client.reads.iter(names.projection, names.entity_set, Query(top=1))))
        visible = _timed(timings, "companies", lambda: {row[names.company] for row in client.reads.iter(
            names.projection, names.entity_set,
            Query(filter=F(names.company).any_of(wanted), select=(names.company,)))} if wanted else set())
    except MlConnectorError as exc:
        return CheckResult("IFS Cloud", False, str(exc), timings)
    missing = [c for c in wanted if c not in visible]
    if missing:
        return CheckResult("IFS Cloud", False,
                           f"companies {', '.join(missing)} are not visible to the service user: grant them "
                           "in IFS (an ungranted company returns empty results, not an error)", timings)
    return CheckResult("IFS Cloud", True, "token accepted, projections readable"
                       + (f", companies {', '.join(wanted)} visible" if wanted else ""), timings)


def check_ifs_field_map(client: IfsClient) -> CheckResult:
    """The client's field map against the $metadata of every projection it names: a FAIL names the
    projection, the missing name and the closest existing ones."""
    timings: dict[str, float] = {}
    try:
        report = _timed(timings, "metadata", lambda: check_contract(client))
    except MlConnectorError as exc:
        return CheckResult("IFS field map", False, str(exc), timings)
    return CheckResult("IFS field map", report.ok, report.message(), timings)


def check_ifs_all(client: IfsClient, companies: Iterable[str] = ()) -> CheckResult:
    """check_ifs then check_ifs_field_map as one result (the connection's Test button has one line)."""
    first = check_ifs(client, companies)
    if not first.ok:
        return first
    second = check_ifs_field_map(client)
    return CheckResult("IFS Cloud", second.ok, f"{first.message}; {second.message}",
                       {**first.timings_ms, **second.timings_ms})
