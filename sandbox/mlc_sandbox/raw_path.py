"""Route on the raw request path: an encoded `/` (`%2F`) inside a path segment is data, not a separator.

ASGI servers hand the app a decoded `scope["path"]`, so `/v1/accountingDocuments/A%2F1/acknowledge` would be
routed as `/v1/accountingDocuments/A/1/acknowledge` and answer 404 — while the real APIs take `A/1` as the id
(RFC 3986: reserved characters percent-encoded in a segment are data). So routing sees the raw path with every
escape decoded except `%2F` and `%25`, and path parameters are decoded once, exactly, after matching.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import unquote

from starlette.convertors import PathConvertor, StringConvertor
from starlette.types import ASGIApp, Receive, Scope, Send

_KEPT = re.compile(r"%(?:2[fF]|25)")


def routing_path(raw: bytes) -> str:
    """The raw path decoded except for `%2F` and `%25`, so a parameter still decodes to exactly what was sent."""
    text = raw.decode("ascii", errors="replace")
    pieces = _KEPT.split(text)
    kept = [m.upper() for m in _KEPT.findall(text)]
    out = [unquote(pieces[0])]
    for escape, piece in zip(kept, pieces[1:], strict=True):
        out.append(escape + unquote(piece))
    return "".join(out)


class _Segment(StringConvertor):
    def convert(self, value: str) -> Any:
        return unquote(value)


class _Path(PathConvertor):
    def convert(self, value: str) -> Any:
        return unquote(value)


class RawPathRouting:
    """ASGI middleware: route on `raw_path` (see the module docstring)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        raw = scope.get("raw_path") if scope["type"] in ("http", "websocket") else None
        if raw:
            scope = {**scope, "path": routing_path(raw)}
        await self.app(scope, receive, send)


def route_on_raw_path(app: Any) -> None:
    """Install the middleware and make every path parameter of `app`'s routes decode what routing kept encoded."""
    for route in app.routes:
        convertors = getattr(route, "param_convertors", None)
        if not convertors:
            continue
        for name, convertor in list(convertors.items()):
            if type(convertor) is StringConvertor:
                convertors[name] = _Segment()
            elif type(convertor) is PathConvertor:
                convertors[name] = _Path()
    app.add_middleware(RawPathRouting)
