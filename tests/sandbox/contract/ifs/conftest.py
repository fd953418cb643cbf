"""Fixtures: the IFS simulator served over real HTTP, and a small client with a bearer token."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import pytest
import requests
from starlette.types import ASGIApp, Receive, Scope, Send

from mlc_sandbox.faults import FaultInjector
from mlc_sandbox.ifs import IfsSettings, IfsSimulator
from mlc_sandbox.seed import Dataset, SeedConfig, build_dataset
from mlc_sandbox.server import serve

API = "/main/ifsapplications/projection/v1/"
# The default profile (ifs-cloud); test_ifs_profiles.py covers the other.
SUPPLIERS = "SupplierHandling.svc/SupplierInfoGeneralSet"
INVOICES = "ManSuppInvoiceHandling.svc/ManSuppInvoiceSet"
POSTINGS = "ManSuppInvoiceHandling.svc/ManSuppInvoicePostingsSet"
ROWS_NAV = "ManSuppInvoicePostingsArray"
CODE_VALUES = "CodePartValuesHandling.svc/CompanyFinanceSet"


def code_values(company: str, letter: str) -> str:
    """The values of one code part: CompanyFinanceSet(Company='10')/CodeBArray, the value in CodeB."""
    return f"{CODE_VALUES}(Company='{company}')/Code{letter}Array"


@lru_cache(maxsize=4)
def dataset(suppliers: int = 300) -> Dataset:
    return build_dataset(SeedConfig(suppliers=suppliers))


@dataclass
class Ifs:
    sim: IfsSimulator
    url: str
    session: requests.Session

    def token_url(self, realm: str = "sandbox") -> str:
        return f"{self.url}/auth/realms/{realm}/protocol/openid-connect/token"

    def fetch_token(self, **overrides: str) -> requests.Response:
        form = {"grant_type": "client_credentials", "client_id": "sandbox-ifs-client",
                "client_secret": "sandbox-ifs-secret", "scope": "openid microprofile-jwt", **overrides}
        return requests.post(self.token_url(), data=form, timeout=10)

    def login(self) -> None:
        response = self.fetch_token()
        assert response.status_code == 200, response.text
        self.session.headers["Authorization"] = f"Bearer {response.json()['access_token']}"

    def api(self, path: str) -> str:
        return f"{self.url}{API}{path}"

    def get(self, path: str, params: dict[str, Any] | None = None, **kw: Any) -> requests.Response:
        return self.session.get(self.api(path), params=params, timeout=30, **kw)

    def post(self, path: str, body: dict[str, Any], **kw: Any) -> requests.Response:
        return self.session.post(self.api(path), json=body, timeout=10, **kw)

    def patch(self, path: str, body: dict[str, Any], etag: str | None, **kw: Any) -> requests.Response:
        headers = {"If-Match": etag} if etag else {}
        headers.update(kw.pop("headers", {}))
        return self.session.patch(self.api(path), json=body, headers=headers, timeout=10, **kw)

    def delete(self, path: str, etag: str | None) -> requests.Response:
        return self.session.delete(self.api(path), headers={"If-Match": etag} if etag else {}, timeout=10)

    def values(self, path: str, **params: Any) -> list[dict[str, Any]]:
        response = self.get(path, params=params)
        assert response.status_code == 200, response.text
        return response.json()["value"]

    def admin(self, method: str, path: str, **kw: Any) -> requests.Response:
        return requests.request(method, f"{self.url}/_sandbox{path}", timeout=10, **kw)

    def create_invoice(self, **fields: Any) -> dict[str, Any]:
        body = {"Company": "10", "Identity": "10001", "PartyType": "Supplier", "InvoiceNo": "INV-1",
                "InvoiceDate": "2026-10-20", "NetCurrAmount": 100.00, "VatCurrAmount": 7.25, **fields}
        response = self.post(INVOICES, body)
        assert response.status_code == 201, response.text
        return response.json()


def invoice_path(invoice: dict[str, Any]) -> str:
    return f"{INVOICES}(Company='{invoice['Company']}',InvoiceId={invoice['InvoiceId']})"


def error_of(response: requests.Response) -> dict[str, Any]:
    body = response.json()
    assert set(body) == {"error"}, body
    assert {"code", "message"} <= set(body["error"]), body
    return body["error"]


def decode_etag(etag: str) -> str:
    assert etag.startswith('W/"') and etag.endswith('"'), etag
    return base64.b64decode(etag[3:-1]).decode()


def jwt_claims(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


Factory = Callable[..., Ifs]


class _Switch:
    """ASGI app forwarding to whichever simulator the current test uses: servers outlive tests
    (starting and stopping uvicorn costs more than a whole test)."""

    def __init__(self) -> None:
        self.app: ASGIApp | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        assert self.app is not None, "no simulator attached"
        await self.app(scope, receive, send)


class _ServerPool:
    def __init__(self, stack: ExitStack) -> None:
        self._stack = stack
        self._free: list[tuple[str, _Switch]] = []

    def acquire(self, app: ASGIApp) -> tuple[str, _Switch]:
        if self._free:
            url, switch = self._free.pop()
        else:
            switch = _Switch()
            url = self._stack.enter_context(serve(switch)).url
        switch.app = app
        return url, switch

    def release(self, url: str, switch: _Switch) -> None:
        switch.app = None
        self._free.append((url, switch))


@pytest.fixture(scope="session")
def server_pool() -> Iterator[_ServerPool]:
    with ExitStack() as stack:
        yield _ServerPool(stack)


def _factory(pool: _ServerPool, stack: ExitStack, guard: Any) -> Factory:
    def make(suppliers: int = 300, injector: FaultInjector | None = None, login: bool = True,
             profile: str = "ifs-cloud", **settings: Any) -> Ifs:
        sim = IfsSimulator(dataset(suppliers), injector=injector, settings=IfsSettings(**settings), profile=profile)
        guard.watch(sim)  # the session check (tests/conftest.py): no mutation without If-Match
        stack.callback(guard.check, sim, "at the end of its fixture")
        url, switch = pool.acquire(sim.app)
        stack.callback(pool.release, url, switch)
        session = stack.enter_context(requests.Session())
        ifs = Ifs(sim, url, session)
        if login:
            ifs.login()
        return ifs
    return make


@pytest.fixture
def make_ifs(server_pool: _ServerPool, if_match_guard: Any) -> Iterator[Factory]:
    with ExitStack() as stack:
        yield _factory(server_pool, stack, if_match_guard)


@pytest.fixture
def ifs(make_ifs: Factory) -> Ifs:
    """A fresh simulator per test: tests may write."""
    return make_ifs()


@pytest.fixture(scope="module")
def reader(server_pool: _ServerPool, if_match_guard: Any) -> Iterator[Ifs]:
    """One simulator per module, for tests that only read (plus what the module's setup writes)."""
    with ExitStack() as stack:
        yield _factory(server_pool, stack, if_match_guard)()
