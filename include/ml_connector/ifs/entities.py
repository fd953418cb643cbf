"""Entity bodies: what must never be sent back to IFS, and where an entity's ETag lives."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import requests

# IFS system fields, compared case-insensitively (IFS spells them Objid, objid, ...).
SYSTEM_FIELDS = frozenset(
    {"luname", "keyref", "objid", "objversion", "objgrants", "objstate", "objevents", "objkey"}
)


def is_system_field(key: str) -> bool:
    # Any OData control annotation (@odata.etag, @odata.context, Prop@odata.type...) is the server's.
    return key.lower() in SYSTEM_FIELDS or "@odata." in key or key.startswith("@")


def strip_system_fields(body: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if not is_system_field(k)}


def etag_of(entity: Mapping[str, Any] | None, response: requests.Response | None = None) -> str | None:
    if entity is not None and entity.get("@odata.etag"):
        return str(entity["@odata.etag"])
    if response is not None and response.headers.get("ETag"):
        return response.headers["ETag"]
    return None
