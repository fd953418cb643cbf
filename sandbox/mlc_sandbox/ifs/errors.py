"""IFS error bodies: {"error": {"code", "message", "details": [{"code", "message", "target"}]}}, and the
exception handlers that produce them."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse, Response

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


def install(app: FastAPI) -> None:
    app.add_exception_handler(IfsError, _ifs_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(Exception, _internal_error)


async def _ifs_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, IfsError)
    return error_response(exc)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    code = {404: "ODP_RESOURCE_NOTFOUND", 405: "ODP_METHOD_NOT_ALLOWED"}.get(exc.status_code, "ODP_ERROR")
    return error_response(IfsError(exc.status_code, code, str(exc.detail)))


async def _internal_error(request: Request, exc: Exception) -> Response:
    # A simulator bug: answer like IFS would (500 with an error body); uvicorn still logs the traceback.
    return error_response(IfsError(500, "ODP_INTERNAL_ERROR", f"Internal error: {type(exc).__name__}"))


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    details = [{"code": "VALIDATION", "message": str(e.get("msg")),
                "target": ".".join(str(p) for p in e.get("loc", ()))} for e in exc.errors()]
    return error_response(IfsError(400, "ODP_BAD_REQUEST", "Malformed Request.", details))
