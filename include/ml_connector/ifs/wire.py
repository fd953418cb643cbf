"""What every IFS call shares: the projection path, and JSON in and out."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import requests

from ml_connector.http.errors import ProtocolError
from ml_connector.ifs.odata import datetime_literal, entity_path

Keys = Mapping[str, Any]
JSON_HEADERS = {"Content-Type": "application/json", "Accept": "application/json"}
_PROJECTION = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def projection_path(
    projection: str, entity_set: str, keys: Keys | None = None, navigation: str | None = None
) -> str:
    if not _PROJECTION.match(projection):
        raise ValueError(f"not a projection name: {projection!r}")
    return f"/{projection}.svc/{entity_path(entity_set, keys, navigation)}"


def metadata_path(projection: str) -> str:
    if not _PROJECTION.match(projection):
        raise ValueError(f"not a projection name: {projection!r}")
    return f"/{projection}.svc/$metadata"


def json_object(resp: requests.Response) -> dict[str, Any]:
    try:
        body = resp.json()
    except ValueError:
        raise ProtocolError.from_response(resp, "expected a JSON object") from None
    if not isinstance(body, dict):
        raise ProtocolError.from_response(resp, "expected a JSON object")
    return body


def encode(body: Mapping[str, Any]) -> bytes:
    return json.dumps(body, default=_json_default, ensure_ascii=False).encode("utf-8")


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, datetime):
        return datetime_literal(value)
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"cannot send {type(value).__name__} to IFS")
