"""Basware error bodies (ResponseEntityList) and the exception handlers that produce them."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

ErrorType = str  # BUSINESS | VALIDATION | TECHNICAL | SECURITY


def error_entity(code: str, message: str, type_: ErrorType = "VALIDATION",
                 external_code: str | None = None) -> dict[str, Any]:
    return {"externalCode": external_code, "type": type_, "code": code, "message": message}


def entity_list(request_id: str | None, errors: list[dict[str, Any]]) -> dict[str, Any]:
    return {"requestId": request_id, "hasErrors": bool(errors), "errors": errors}


class ApiError(Exception):
    """An error answered in Basware's ResponseEntityList format."""

    def __init__(self, status: int, code: str, message: str, *, type_: ErrorType = "VALIDATION",
                 external_code: str | None = None, headers: dict[str, str] | None = None,
                 errors: list[dict[str, Any]] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.headers = headers or {}
        self.errors = errors or [error_entity(code, message, type_, external_code)]


def request_id_of(request: Request) -> str | None:
    return getattr(request.state, "request_id", None)


# The push notification API (subscriptions, tasks) is a service of its own with its own error bodies.
PUSH_PREFIXES = ("/v1/subscriptions", "/v1/tasks")


def push_error_body(status: int, request_id: str | None, errors: list[dict[str, Any]]) -> dict[str, Any]:
    """400 ValidationErrorResponse, 404 RecordNotFoundResponse, else {"message"} (401, 422, 500)."""
    message = "; ".join(str(e.get("message")) for e in errors) or "Error"
    if status == 400:
        return {"requestId": request_id or "", "hasError": True,
                "errorMessages": [{"type": e["type"], "code": e["code"], "message": e["message"]} for e in errors]}
    if status == 404:
        return {"detail": message}
    return {"message": message}


def _body(request: Request, status: int, errors: list[dict[str, Any]]) -> dict[str, Any]:
    if request.url.path.startswith(PUSH_PREFIXES):
        return push_error_body(status, request_id_of(request), errors)
    return entity_list(request_id_of(request), errors)


def _api_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    status = exc.status
    if status == 400 and request.url.path.startswith(PUSH_PREFIXES) and \
            all(e["code"] == "PARAMETER_VALIDATION_ERROR" for e in exc.errors):
        status = 422  # the push API documents bad query parameters (and continuation tokens) as 422
    return JSONResponse(_body(request, status, exc.errors), status, headers=exc.headers)


def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = {404: "ENTITY_NOT_FOUND", 405: "METHOD_NOT_ALLOWED"}.get(exc.status_code, "UNEXPECTED_ERROR")
    body = _body(request, exc.status_code, [error_entity(code, str(exc.detail))])
    return JSONResponse(body, exc.status_code, headers=getattr(exc, "headers", None))


def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    """Schema errors are 400 (not FastAPI's 422), one entry per problem, naming the record when it can."""
    assert isinstance(exc, RequestValidationError)
    body = getattr(exc, "body", None)
    errors = []
    for err in exc.errors():
        loc = [p for p in err.get("loc", ()) if p != "body"]
        where = ".".join(str(p) for p in loc) or "body"
        errors.append(error_entity("SCHEMA_VALIDATION_ERROR", f"{where}: {err.get('msg')}",
                                   external_code=_external_code(body, loc)))
    if request.url.path.startswith(PUSH_PREFIXES) and any(
            e.get("type") == "json_invalid" or tuple(e.get("loc", ()))[:1] == ("query",) for e in exc.errors()):
        # The push API's 422 (UnprocessableEntityErrorResponse): unreadable JSON, missing query parameters.
        return JSONResponse({"message": "; ".join(str(e["message"]) for e in errors)}, 422)
    return JSONResponse(_body(request, 400, errors), 400)


def _external_code(body: Any, loc: list[Any]) -> str | None:
    """For a list body the location starts with the record's index: name that record's externalCode."""
    record = body
    if isinstance(body, list) and loc and isinstance(loc[0], int) and loc[0] < len(body):
        record = body[loc[0]]
    code = record.get("externalCode") if isinstance(record, dict) else None
    return str(code) if code is not None else None


def install(app: FastAPI) -> None:
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)


def not_found(message: str = "Not found. Request was successful and no records were found.") -> ApiError:
    return ApiError(404, "ENTITY_NOT_FOUND", message)


def bad_parameter(message: str) -> ApiError:
    return ApiError(400, "PARAMETER_VALIDATION_ERROR", message)
