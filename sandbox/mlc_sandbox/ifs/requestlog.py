"""Request ids on every response, and a log of API requests (method, path, query, If-Match, status).

The log lets tests prove what the connector sent, e.g. that it never used `If-Match: *`. Admin
(/_sandbox) requests get an id but are not logged, so reading the log does not change it.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mlc_sandbox.request_log import RequestLog

from ..faults import ADMIN_PREFIX

REQUEST_ID_HEADER = "X-Request-Id"


class RequestLogMiddleware:
    def __init__(self, app: ASGIApp, log: RequestLog) -> None:
        self.app = app
        self.log = log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = str(uuid.uuid4())
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        entry: dict[str, Any] = {
            "request_id": request_id, "time": time.time(), "method": scope["method"], "path": scope["path"],
            "query": scope.get("query_string", b"").decode("latin-1"), "if_match": headers.get("if-match"),
            "client_request_id": headers.get("x-request-id"), "status": None,
        }

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                entry["status"] = message["status"]
                header = (REQUEST_ID_HEADER.lower().encode(), request_id.encode())
                message["headers"] = [*message.get("headers", []), header]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception as exc:  # the drop fault aborts after the headers; a bug aborts anywhere
            entry["error"] = type(exc).__name__
            raise
        finally:
            if not scope["path"].startswith(ADMIN_PREFIX):
                self.log.add(entry)
