"""IFS error bodies: {"error": {"code", "message", "details": [{"code", "message", "target"}]}}."""

from __future__ import annotations

from typing import Any

from starlette.responses import JSONResponse

# Olingo's generic message for URI and query problems; the specific reason goes into details.
MALFORMED = "Malformed Request."


class IfsError(Exception):
    """Raised anywhere in the simulator; the app turns it into an IFS error response."""

    def __init__(self, status: int, code: str, message: str, details: list[dict[str, Any]] | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.details = details or []
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.details:
            error["details"] = self.details
        return {"error": error}


def detail(code: str, message: str, target: str | None = None) -> dict[str, Any]:
    item = {"code": code, "message": message}
    if target:
        item["target"] = target
    return item


def bad_query(message: str, target: str) -> IfsError:
    """Malformed URI or query option ($filter, $orderby, key predicate ...)."""
    return IfsError(400, "ODP_BAD_REQUEST", MALFORMED, [detail("ODP_URI_PARSER_ERROR", message, target)])


def bad_body(message: str, target: str | None = None) -> IfsError:
    """A request body Olingo cannot deserialize into the entity type."""
    return IfsError(400, "ODP_DESERIALIZATION_ERROR", "Error while de-serializing contents.",
                    [detail("ODP_DESERIALIZATION_ERROR", message, target)])


def business(message: str, target: str | None = None, more: list[dict[str, Any]] | None = None) -> IfsError:
    """A PL/SQL business rule rejected the write (IFS passes the ORA-20xxx text through)."""
    details = more or [detail("DATABASE_ERROR", f"ORA-20110: {message}", target)]
    return IfsError(400, "DATABASE_ERROR", message, details)


def not_found(message: str) -> IfsError:
    return IfsError(404, "ODP_RESOURCE_NOTFOUND", message)


def error_response(exc: IfsError) -> JSONResponse:
    return JSONResponse(exc.body(), status_code=exc.status, headers=exc.headers)
