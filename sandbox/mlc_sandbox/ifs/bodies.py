"""Request bodies: JSON (amounts as Decimal) checked against the entity type like Olingo does."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from mlc_sandbox.ifs import edm
from mlc_sandbox.ifs.errors import bad_body, business
from mlc_sandbox.ifs.model import EntityType, snake_upper


def parse_json(raw: bytes, content_type: str | None) -> dict[str, Any]:
    # IFS rejects a body without Content-Type application/json, even if the bytes are JSON.
    if not content_type or "application/json" not in content_type.lower():
        raise bad_body("Content-Type must be application/json")
    try:
        body = json.loads(raw or b"null", parse_float=Decimal)
    except ValueError as exc:
        raise bad_body(f"body is not valid JSON: {exc}") from None
    if not isinstance(body, dict):
        raise bad_body("body must be a JSON object")
    return body


def coerce(etype: EntityType, body: dict[str, Any], insert: bool, fixed: dict[str, Any] | None = None,
           ) -> dict[str, Any]:
    """Typed values from a POST (insert) or PATCH body; 400 for unknown, system or read-only fields."""
    values: dict[str, Any] = {}
    for name, raw in body.items():
        if name.startswith("@"):
            if name == "@odata.etag":
                raise bad_body("@odata.etag is a system field: send the ETag in If-Match, not in the body",
                               name)
            continue  # other annotations (@odata.type) are harmless
        prop = etype.prop(name)
        if prop is None:
            raise bad_body(f"property {name!r} does not exist in type {etype.full_name}", name)
        if prop.system:
            raise bad_body(f"{name} is a system field and must not be sent", name)
        if prop.read_only:
            raise bad_body(f"{name} is read-only", name)
        if not insert and name in etype.keys:
            raise bad_body(f"key {name} cannot be changed", name)
        try:
            value = edm.from_json(prop.type, raw, prop.enum.members if prop.enum else ())
        except ValueError as exc:
            raise bad_body(f"{name}: {exc}", name) from None
        if value is None and not prop.nullable:
            raise bad_body(f"{name} must not be null", name)
        if isinstance(value, str) and prop.max_length and len(value) > prop.max_length:
            raise business(f"Field [{snake_upper(name)}] in {etype.lu_name} is too long "
                           f"(at most {prop.max_length} characters).", name)
        values[name] = value
    for name, value in (fixed or {}).items():
        if name in values and values[name] != value:
            raise bad_body(f"{name} {values[name]!r} contradicts the parent's {value!r}", name)
        values[name] = value
    if insert:
        for prop in etype.props:
            if prop.required and values.get(prop.name) in (None, ""):
                raise business(f"Field [{snake_upper(prop.name)}] in {etype.lu_name} is mandatory.",
                               prop.name)
    return values
