"""Every call the simulator received, with the client's request id and the x-amzn-RequestId it answered."""

from __future__ import annotations

import time
import uuid
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mlc_sandbox.request_log import RequestLog

from mlc_sandbox.faults import ADMIN_PREFIX

RESPONSE_REQUEST_ID = "x-amzn-RequestId"


class RequestIdMiddleware:
    """Outermost layer: gives every response an x-amzn-RequestId (faults too) and logs non-admin calls."""

    def __init__(self, app: ASGIApp, log: RequestLog, client_header: str) -> None:
        self.app = app
        self.log = log
        self.client_header = client_header.lower().encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = str(uuid.uuid4())
        scope.setdefault("state", {})["request_id"] = request_id
        headers = dict(scope.get("headers") or [])
        entry: dict[str, Any] = {
            "time": time.time(),
            "method": scope["method"],
            "path": scope["path"],
            "query": scope.get("query_string", b"").decode("latin-1"),
            "client_request_id": _text(headers.get(self.client_header)),
            "request_id": request_id,
            "authorization": b"authorization" in headers,
            "status": None,
        }
        if not scope["path"].startswith(ADMIN_PREFIX):
            self.log.add(entry)

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                extra = (RESPONSE_REQUEST_ID.encode(), request_id.encode())
                message["headers"] = [*message.get("headers", []), extra]
                entry["status"] = message["status"]
            await send(message)

        await self.app(scope, receive, send_with_id)


def _text(value: bytes | None) -> str | None:
    return value.decode("latin-1") if value is not None else None
