"""The calls a simulator received, kept so tests and users can see exactly what a client sent.

`RequestLogMiddleware` is the outermost layer of both simulators: every response, injected faults
included, gets a request id, and every API call is logged with the client's own request id, whether it
was authenticated (never the credential itself), its If-Match (so tests can prove the connector never
sends `If-Match: *`) and the status answered. Admin (/_sandbox) calls get an id but are not logged, so
reading the log does not change it.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import deque
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mlc_sandbox.faults import ADMIN_PREFIX


class RequestLog:
    """Thread-safe and bounded: a sandbox left running for days must not grow without limit."""

    def __init__(self, maxlen: int = 200_000) -> None:
        self._lock = threading.Lock()
        self._entries: deque[dict[str, Any]] = deque(maxlen=maxlen)

    def add(self, entry: dict[str, Any]) -> None:
        with self._lock:
            self._entries.append(entry)

    def entries(self) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(e) for e in self._entries]

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


class RequestLogMiddleware:
    """`client_header`: where the client sends its request id; `response_header`: where ours goes back."""

    def __init__(self, app: ASGIApp, log: RequestLog, client_header: str, response_header: str) -> None:
        self.app = app
        self.log = log
        self.client_header = client_header.lower().encode()
        self.response_header = response_header.encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = str(uuid.uuid4())
        scope.setdefault("state", {})["request_id"] = request_id  # error bodies quote it
        headers = dict(scope.get("headers") or [])
        entry: dict[str, Any] = {
            "time": time.time(),
            "method": scope["method"],
            "path": scope["path"],
            "query": scope.get("query_string", b"").decode("latin-1"),
            "client_request_id": _text(headers.get(self.client_header)),
            "request_id": request_id,
            "authorization": b"authorization" in headers,
            "if_match": _text(headers.get(b"if-match")),
            "status": None,
        }
        # Logged on arrival, completed in place: a call held by a slow or timeout fault shows while it waits.
        if not scope["path"].startswith(ADMIN_PREFIX):
            self.log.add(entry)

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                header = (self.response_header, request_id.encode())
                message["headers"] = [*message.get("headers", []), header]
                entry["status"] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception as exc:  # the drop fault aborts after the headers; a bug aborts anywhere
            entry["error"] = type(exc).__name__
            raise


def _text(value: bytes | None) -> str | None:
    return value.decode("latin-1") if value is not None else None
