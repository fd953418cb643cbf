"""Basware's published OpenAPI files, read once for every test that judges by them.

Two kinds of test use them: tests/sandbox/contract/basware (is the simulator's answer what Basware
documents?) and tests/unit (does the client send and accept what Basware documents?). Both get the
files, the skip rule and the OpenAPI 3.0 → JSON Schema conversion from here, so they judge alike.

The files live in `../shared/reference/basware-openapi/` beside the repository (CI clones it there).
Without them the checks skip and say why; with CI set they fail instead, so CI cannot pass by checking
nothing.
"""

from __future__ import annotations

import json
import os
import re
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from jsonschema import FormatChecker

REPO = Path(__file__).resolve().parents[1]
SPEC_DIR = REPO.parent / "shared" / "reference" / "basware-openapi"
FILES = {"p2p": "basware-p2p-openapi.json", "auth": "basware-authentication-openapi.json",
         "push": "basware-push-notification-openapi.json"}


def spec_available() -> bool:
    return all((SPEC_DIR / name).is_file() for name in FILES.values())


def require_spec() -> None:
    """Skip (fail under CI) when Basware's OpenAPI files are not beside the repository."""
    missing = [name for name in FILES.values() if not (SPEC_DIR / name).is_file()]
    if not missing:
        return
    why = f"Basware's OpenAPI files are not in {SPEC_DIR} (missing: {', '.join(missing)})"
    if os.environ.get("CI"):
        pytest.fail(f"{why}: CI must have ../shared beside the clone")
    pytest.skip(f"{why}: clone the repository beside shared/ to run the spec checks")


@cache
def _raw(file_name: str) -> str:
    return (SPEC_DIR / file_name).read_text(encoding="utf-8")


def documents() -> dict[str, dict[str, Any]]:
    """The three files, parsed afresh (callers may convert them), keyed by FILES' short names."""
    require_spec()
    return {key: json.loads(_raw(name)) for key, name in FILES.items()}


def to_json_schema(node: Any) -> Any:
    """OpenAPI 3.0 schema -> JSON Schema draft 4: `nullable: true` allows null, also in an enum.

    Only a boolean `nullable` is the keyword: a property that happens to be called "nullable" stays.
    """
    if isinstance(node, list):
        return [to_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {k: to_json_schema(v) for k, v in node.items() if not (k == "nullable" and isinstance(v, bool))}
    if node.get("nullable") is not True:
        return out
    if isinstance(out.get("type"), str) and "$ref" not in out and "allOf" not in out:
        out["type"] = [out["type"], "null"]
        if "enum" in out:
            out["enum"] = [*out["enum"], None]
        return out
    return {"anyOf": [out, {"type": "null"}]}


_DATE_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)")


def format_checker() -> FormatChecker:
    """The formats the spec uses, as OpenAPI means them: RFC 3339 date-time, absolute URI."""
    checker = FormatChecker(())

    @checker.checks("date-time", raises=ValueError)
    def date_time(value: object) -> bool:
        if not isinstance(value, str):
            return True
        if not _DATE_TIME.fullmatch(value):
            raise ValueError(f"{value!r} is not an RFC 3339 date-time")
        datetime.fromisoformat(value.replace("Z", "+00:00"))
        return True

    @checker.checks("uri", raises=ValueError)
    def uri(value: object) -> bool:
        if isinstance(value, str) and not (urlsplit(value).scheme and urlsplit(value).netloc):
            raise ValueError(f"{value!r} is not an absolute URI")
        return True

    return checker
