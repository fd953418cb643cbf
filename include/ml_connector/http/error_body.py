"""Read the error code and message out of the error bodies both APIs send.

IFS/OData: {"error": {"code", "message", "details": [...]}}
Basware:   {"requestId", "hasErrors", "errors": [{"externalCode", "type", "code", "message"}]}
OAuth2:    {"error": "invalid_client", "error_description": "..."}
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import requests


@dataclass(frozen=True)
class ErrorInfo:
    code: str | None = None
    message: str | None = None
    details: tuple[dict[str, Any], ...] = ()


def parse_error_body(response: requests.Response) -> ErrorInfo:
    try:
        body = response.json()
    except ValueError:  # not JSON (gateway HTML, S3 XML): the excerpt still carries the text
        return ErrorInfo()
    if not isinstance(body, dict):
        return ErrorInfo()
    error = body.get("error")
    if isinstance(error, dict):
        details = tuple(d for d in error.get("details") or () if isinstance(d, dict))
        return ErrorInfo(_str(error.get("code")), _str(error.get("message")), details)
    if isinstance(error, str):
        return ErrorInfo(error, _str(body.get("error_description")))
    errors = body.get("errors")
    if isinstance(errors, list) and errors:
        items = tuple(e for e in errors if isinstance(e, dict))
        first = items[0] if items else {}
        return ErrorInfo(_str(first.get("code")), _str(first.get("message")), items)
    return ErrorInfo(None, _str(body.get("message")))


def _str(value: Any) -> str | None:
    return None if value is None else str(value)
