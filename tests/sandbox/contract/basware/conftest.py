"""Fixtures for the Basware simulator contract tests: the simulator over real HTTP, a webhook receiver."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urljoin

import pytest
import requests
from spec import Spec, available_or_none
from starlette.types import ASGIApp, Receive, Scope, Send

from mlc_sandbox.basware import BaswareSettings, BaswareSimulator
from mlc_sandbox.faults import FaultInjector
from mlc_sandbox.seed import Dataset, SeedConfig, build_dataset
from mlc_sandbox.server import ThreadedServer, serve

ALL_SCOPES = " ".join(BaswareSettings().allowed_scopes)


def when(text: str) -> datetime:
    """Compare timestamps as times: ISO strings with and without fractions do not sort as text."""
    return datetime.fromisoformat(text)


@pytest.fixture(scope="session")
def dataset() -> Dataset:
    return build_dataset(SeedConfig(invoices=240, suppliers=60))


class Api:
    """A thin test client: bearer token, a fresh X-BW-REQUEST-ID per call, manual pre-signed redirects.

    Every answer of the simulator's Basware API (not /_sandbox) is checked against Basware's OpenAPI
    files: the status must be documented for the operation and the body must match its schema.
    """

    def __init__(self, sim: BaswareSimulator, url: str, spec: Spec | None) -> None:
        self.sim = sim
        self.url = url
        self.spec = spec
        self.http = requests.Session()
        self._token: str | None = None
        self._redirected_from: tuple[str, str] | None = None

    def checked(self, method: str, path: str, response: requests.Response) -> requests.Response:
        if self.spec is not None:
            self.spec.check(method, path.split("?")[0], response)
        return response

    def token(self, scope: str | None = ALL_SCOPES, auth: tuple[str, str] | None = None) -> requests.Response:
        settings = self.sim.settings
        form = {"grant_type": "client_credentials"}
        if scope is not None:
            form["scope"] = scope
        response = self.http.post(f"{self.url}/v1/tokens", data=form,
                                  auth=auth or (settings.client_id, settings.client_secret))
        return self.checked("POST", "/v1/tokens", response)

    @property
    def bearer(self) -> str:
        if self._token is None:
            response = self.token()
            assert response.status_code == 200, response.text
            self._token = response.json()["access_token"]
        return self._token

    def call(self, method: str, path: str, *, token: str | None = None, headers: dict[str, str] | None = None,
             **kwargs: Any) -> requests.Response:
        sent = {"Authorization": f"Bearer {token or self.bearer}", "X-BW-REQUEST-ID": str(uuid.uuid4()),
                **(headers or {})}
        kwargs.setdefault("allow_redirects", False)
        response = self.http.request(method, f"{self.url}{path}", headers=sent, **kwargs)
        if response.status_code == 302:
            self._redirected_from = (method, path)
        return self.checked(method, path, response)

    def raw(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        """A request exactly as given (own headers, no token added), still checked against the spec."""
        kwargs.setdefault("allow_redirects", False)
        return self.checked(method, path, self.http.request(method, f"{self.url}{path}", **kwargs))

    def follow(self, response: requests.Response) -> requests.Response:
        """Follow the 302 to the pre-signed URL the way a correct client does: without Authorization.
        A 200 there is the answer of the operation that redirected, and is checked as such."""
        assert response.status_code == 302, (response.status_code, response.text)
        page = self.http.get(urljoin(self.url, response.headers["Location"]), allow_redirects=False)
        if page.status_code == 200 and self._redirected_from is not None:
            self.checked(*self._redirected_from, page)
        return page

    def documents_page(self, params: dict[str, Any], continuation: str | None = None) -> requests.Response:
        headers = {"x-amz-meta-continuationtoken": continuation} if continuation else {}
        first = self.call("GET", "/v1/accountingDocuments", params=params, headers=headers)
        return self.follow(first) if first.status_code == 302 else first

    def all_documents(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        docs: list[dict[str, Any]] = []
        continuation = None
        while True:
            page = self.documents_page(params, continuation)
            if page.status_code == 404 and not docs:
                return docs
            assert page.status_code == 200, page.text
            docs += page.json()["accountingDocuments"]
            continuation = page.headers.get("X-amz-meta-continuationToken")
            if not continuation:
                return docs

    def admin(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        return self.http.request(method, f"{self.url}/_sandbox/basware{path}", **kwargs)


@pytest.fixture(scope="session")
def spec() -> Spec | None:
    """Basware's OpenAPI files, or None outside CI when they are not beside the repository."""
    return available_or_none()


@pytest.fixture
def injector() -> FaultInjector:
    return FaultInjector(seed=7)


@pytest.fixture
def settings() -> BaswareSettings:
    return BaswareSettings(webhook_retry_delay=0.05, out_of_order_hold=0.5)


@pytest.fixture
def sim(dataset: Dataset, injector: FaultInjector, settings: BaswareSettings) -> Iterator[BaswareSimulator]:
    simulator = BaswareSimulator(dataset, injector, settings)
    yield simulator
    simulator.close()


class Switch:
    """An ASGI app that forwards to the current test's simulator: one uvicorn for the whole session,
    because starting and stopping a server per test costs more than most tests."""

    def __init__(self) -> None:
        self.app: ASGIApp | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        assert self.app is not None, "no simulator plugged in"
        await self.app(scope, receive, send)


@pytest.fixture(scope="session")
def live() -> Iterator[tuple[ThreadedServer, Switch]]:
    switch = Switch()
    with serve(switch) as server:
        yield server, switch


@pytest.fixture
def api(sim: BaswareSimulator, live: tuple[ThreadedServer, Switch], spec: Spec | None) -> Iterator[Api]:
    server, switch = live
    switch.app = sim.app
    client = Api(sim, server.url, spec)
    yield client
    client.http.close()
    switch.app = None


@pytest.fixture
def served(sim: BaswareSimulator, spec: Spec | None) -> Iterator[Api]:
    """The simulator on a server of its own, `serve(sim.app)`, as the demo and the e2e tests run it."""
    with serve(sim.app) as server:
        client = Api(sim, server.url, spec)
        yield client
        client.http.close()


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    """A webhook endpoint: records every POST and answers with the next scripted status (default 200)."""

    url: str = ""
    received: list[Received] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def notifications(self) -> list[Received]:
        with self.lock:
            return [r for r in self.received if r.json.get("taskType") != "ConnectionTest"]


@contextmanager
def webhook_receiver() -> Iterator[Receiver]:
    """A webhook endpoint on 127.0.0.1 for as long as the block runs."""
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", 0)))
            with state.lock:
                state.received.append(Received({k.lower(): v for k, v in self.headers.items()}, body))
                status = state.statuses.pop(0) if state.statuses else 200
            self.send_response(status)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/basware"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with webhook_receiver() as state:
        yield state
