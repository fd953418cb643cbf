"""Find known secret values (canaries) wherever the connector leaves traces: files (task and demo logs,
staging), databases (every table, every text-like column), captured texts (output, exceptions, alerts,
HTTP answers) and the pages we serve. Extend by passing more paths, URLs or texts, or by adding a page to
SERVED_PAGES; a finding names where the canary was.

`chosen_secrets` picks the secrets a run is to use and the environment that hands them to the simulators
(and so to the connections the demo and the soak make); `token_canaries` reads back every access token the
simulators issued during the run."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pytest
import requests
import sqlalchemy as sa

TOKEN_LOG = "issued-tokens.txt"

# Pages the connector serves, as (method, path) with {tenant} and {invoice} filled in; each is fetched and its
# answer scanned. Add a page here when you build one. The webhook endpoint answers anyone (and refuses an
# unsigned body); the operations page wants an Airflow user (pass `headers` with a bearer token), and its
# replay form refuses a POST without the page's CSRF token.
SERVED_PAGES: list[tuple[str, str]] = [
    ("POST", "/ml-connector/webhooks/basware/{tenant}"),
    ("GET", "/ml-connector/webhooks/basware/{tenant}"),
    ("GET", "/ml-connector/ops/"),
    ("GET", "/ml-connector/ops/?tenant={tenant}"),
    ("GET", "/ml-connector/ops/?tenant={tenant}&invoice={invoice}"),
    ("GET", "/ml-connector/ops/api/tenants/{tenant}"),
    ("POST", "/ml-connector/ops/replay"),
]


@dataclass(frozen=True)
class ServedAnswer:
    """One page as fetched: where (method and URL), its status and everything it sent back."""

    where: str
    status: int
    content: bytes


def chosen_secrets(folder: Path) -> tuple[dict[str, str], dict[str, str]]:
    """Fresh secrets for Basware, IFS and the webhook, and the environment that makes the sandbox use them
    and log each token it issues to `folder`."""
    chosen = {name: f"canary-{name}-{secrets.token_hex(12)}" for name in ("basware", "ifs", "webhook")}
    env = {"MLC_SANDBOX_BASWARE_CLIENT_SECRET": chosen["basware"], "MLC_SANDBOX_IFS_CLIENT_SECRET": chosen["ifs"],
           "MLC_SANDBOX_WEBHOOK_SECRET": chosen["webhook"], "MLC_SANDBOX_TOKEN_LOG": str(folder / TOKEN_LOG)}
    return chosen, env


def use_chosen_secrets(folder: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """`chosen_secrets(folder)` set in this test's environment (for the processes it starts); the secrets."""
    chosen, env = chosen_secrets(folder)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return chosen


def token_canaries(folder: Path) -> list[str]:
    """Every token issued while the environment of `chosen_secrets(folder)` was in force, and each one's
    signature part on its own (unique per token, unlike the JWT header)."""
    path = folder / TOKEN_LOG
    tokens = path.read_text(encoding="ascii").split() if path.exists() else []
    return sorted({*tokens, *(t.rsplit(".", 1)[-1] for t in tokens)})


def fetch_pages(base_url: str, *, tenants: Iterable[str], invoice: str = "none",
                headers: dict[str, str] | None = None,
                pages: Iterable[tuple[str, str]] = ()) -> list[ServedAnswer]:
    """Each of SERVED_PAGES (plus `pages`) for each tenant, with `headers` (none: unauthenticated): the
    status line, headers and body of every answer."""
    answers: list[ServedAnswer] = []
    for tenant in tenants:
        for method, path in [*SERVED_PAGES, *pages]:
            url = base_url.rstrip("/") + path.format(tenant=quote(tenant), invoice=quote(invoice))
            answer = requests.request(method, url, data=b"{}", headers=headers, timeout=30)
            sent = "\n".join(f"{k}: {v}" for k, v in answer.headers.items())
            answers.append(ServedAnswer(f"{method} {url}", answer.status_code,
                                        f"{answer.status_code}\n{sent}\n".encode() + answer.content))
    return answers


def scan_pages(base_url: str, canaries: Iterable[str], *, tenants: Iterable[str], invoice: str = "none",
               headers: dict[str, str] | None = None, pages: Iterable[tuple[str, str]] = ()) -> list[str]:
    """Fetch each of SERVED_PAGES (plus `pages`) for each tenant and scan status line, headers and body."""
    canaries = list(canaries)
    answers = fetch_pages(base_url, tenants=tenants, invoice=invoice, headers=headers, pages=pages)
    return [finding for a in answers for finding in _scan_bytes(a.where, a.content, canaries)]


def _variants(canary: str) -> set[bytes]:
    raw = canary.encode()
    return {raw, raw.hex().encode(), canary.encode("utf-16-le")}


def _scan_bytes(where: str, data: bytes, canaries: Iterable[str]) -> list[str]:
    return [f"{canary!r} in {where}" for canary in canaries if any(v in data for v in _variants(canary))]


def scan_files(paths: Iterable[Path], canaries: Iterable[str], *, skip: Iterable[Path] = ()) -> list[str]:
    skipped = {p.resolve() for p in skip}
    canaries = list(canaries)
    found: list[str] = []
    for root in paths:
        for path in [root] if root.is_file() else sorted(root.rglob("*")):
            if path.is_file() and path.resolve() not in skipped:
                found += _scan_bytes(str(path), path.read_bytes(), canaries)
    return found


def scan_database(url: str, canaries: Iterable[str]) -> list[str]:
    """Every row of every table, each value as text (JSON, blobs and pickles as their bytes)."""
    canaries = list(canaries)
    found: list[str] = []
    engine = sa.create_engine(url)
    try:
        meta = sa.MetaData()
        meta.reflect(engine)
        with engine.connect() as conn:
            for table in meta.sorted_tables:
                for row in conn.execute(sa.select(table)):
                    for column, value in zip(table.columns, row, strict=True):
                        if value is None:
                            continue
                        data = value if isinstance(value, bytes) else str(value).encode()
                        found += _scan_bytes(f"{url} {table.name}.{column.name}", data, canaries)
    finally:
        engine.dispose()
    return found


def scan_for_canaries(canaries: Iterable[str], *, paths: Iterable[Path] = (), db_urls: Iterable[str] = (),
                      texts: dict[str, str] | None = None, skip: Iterable[Path] = ()) -> list[str]:
    canaries = [c for c in canaries if c]
    assert canaries, "no canary to look for"
    found = scan_files(paths, canaries, skip=skip)
    for url in db_urls:
        found += scan_database(url, canaries)
    for where, text in (texts or {}).items():
        found += _scan_bytes(where, text.encode(), canaries)
    return found
