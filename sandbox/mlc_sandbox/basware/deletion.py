"""The DELETE of Basware's master-data resources (DeleteRequest -> DeleteResponse), and date parameters."""

from __future__ import annotations

from typing import Any

from mlc_sandbox.basware.clock import parse_iso
from mlc_sandbox.basware.errors import bad_parameter
from mlc_sandbox.basware.schemas import require


def updated_after(params: dict[str, str], name: str = "lastUpdated") -> int | None:
    """Microseconds of a date-time query parameter, None when absent, 400 when it is not one."""
    if name not in params:
        return None
    try:
        return parse_iso(params[name])
    except ValueError:
        raise bad_parameter(f"{name} {params[name]!r} is not an ISO 8601 date-time") from None


def delete_request(body: Any) -> tuple[str | None, int | None]:
    """(externalCode, lastUpdated in microseconds) of a DeleteRequest body; either may be absent."""
    body = {} if body is None else body
    require("DeleteRequest", body)
    when = body.get("lastUpdated")
    return body.get("externalCode") or None, updated_after({"lastUpdated": when}) if when else None


def delete_response(entity: str, deleted: int) -> dict[str, Any]:
    """The simulator deletes at once, so it answers 200 (not 202) with a completed task."""
    return {"statusApiLink": None, "taskName": f"Delete {entity}: {deleted} record(s) removed",
            "taskStatus": "Completed"}
