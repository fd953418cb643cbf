"""Basware's own OpenAPI files as the judge of the simulator's answers.

The files, the skip rule and the `nullable` conversion come from tests/basware_openapi.py: the files are
`../shared/reference/basware-openapi/` beside the repository (CI clones the repo beside
`shared/`). Without it the checks skip and say why, except under CI (env var CI set), where they fail.

`Spec.check(method, path, response)` validates one response (status code and JSON body) against the
response schema the spec gives for that operation and status, with jsonschema (OpenAPI 3.0's `nullable`
turned into JSON Schema types first). An undocumented status fails unless the caller lists it in
`undocumented` (the simulator's own choices where the spec is silent, such as 429 or 413).

`PYTHONPATH=tests .venv/bin/python tests/sandbox/contract/basware/spec.py --write` regenerates the
request schemas the simulator validates bodies with (sandbox/mlc_sandbox/basware/openapi/requests.json) from the spec.
"""

from __future__ import annotations

import copy
import json
import os
import re
import sys
from functools import cache
from typing import Any

from jsonschema import Draft4Validator
from jsonschema.exceptions import ValidationError

from basware_openapi import FILES as SPEC_FILES
from basware_openapi import REPO, documents, format_checker, require_spec, spec_available, to_json_schema

SPEC_VERSION = "26.06.05.402"
FILES = tuple(SPEC_FILES[key] for key in ("p2p", "auth", "push"))
VENDORED = REPO / "sandbox" / "mlc_sandbox" / "basware" / "openapi" / "requests.json"
# The request bodies the simulator validates, by spec file: the schemas and everything they reference.
REQUEST_SCHEMAS = {
    "basware-p2p-openapi.json": ("AccountEntity", "CostCenterEntity", "GenericListEntity", "VendorEntity",
                                 "TransferResponseEntity", "DeleteRequest", "ProcessingStatusGetBatchRequest"),
    "basware-push-notification-openapi.json": ("Subscription-Input",),
}
JSON_TYPES = ("application/json", "text/json", "text/plain")
# Statuses the simulator answers where the spec documents none for that operation: its own choices.
# A response with one of these is not body-checked; any other undocumented status fails the check.
SIMULATOR_CHOICES = {
    400: "invalid query parameter or continuation token on a GET: the spec documents no 400 for GETs; "
         "the simulator answers 400 with a ResponseEntityList (PARAMETER_VALIDATION_ERROR)",
    403: "a token without the operation's scope: the spec documents only 401",
    413: "a body over Basware's 6 MB limit",
    429: "injected rate limiting (fault injection), with Retry-After",
    502: "injected gateway error (fault injection)",
    503: "injected unavailability (fault injection), with Retry-After",
    504: "injected gateway timeout (fault injection)",
}


def available_or_none() -> Spec | None:
    """The spec when it is there; None when not (outside CI: the checks are then skipped)."""
    if spec_available() or os.environ.get("CI"):
        return load()  # under CI a missing spec fails in require_spec
    return None


FORMATS = format_checker()


def _path_regex(template: str) -> re.Pattern[str]:
    return re.compile("^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)) + "$")


class Spec:
    def __init__(self) -> None:
        self.documents = {SPEC_FILES[key]: doc for key, doc in documents().items()}
        found = re.search(r"File version: ([0-9.]+?)\.?_", self.documents[FILES[0]]["info"]["description"])
        self.version = found.group(1) if found else None
        self._routes = []
        for name, doc in self.documents.items():
            for template in doc["paths"]:
                self._routes.append((template.count("{"), _path_regex(template), name, template))
        self._routes.sort(key=lambda r: r[0])  # literal paths (/v1/tasks) before templated ones

    def operation(self, method: str, path: str) -> tuple[str, str, dict[str, Any]]:
        for _, regex, name, template in self._routes:
            op = self.documents[name]["paths"][template].get(method.lower())
            if op is not None and regex.match(path):
                return name, template, op
        raise AssertionError(f"{method} {path} is not an operation of Basware's API description")

    def response_schema(self, method: str, path: str, status: int) -> tuple[str, dict[str, Any] | None]:
        """(spec file, JSON schema of the body or None when the spec gives no body for this status)."""
        name, template, op = self.operation(method, path)
        documented = op.get("responses", {})
        if str(status) not in documented and status in SIMULATOR_CHOICES:
            return name, None
        if str(status) not in documented:
            raise AssertionError(f"{method} {template} answered {status}, which Basware's spec does not "
                                 f"document (documented: {', '.join(documented)})")
        content = documented[str(status)].get("content") or {}
        media = next((content[t] for t in JSON_TYPES if t in content), None)
        return name, None if media is None else media.get("schema")

    def validator(self, name: str, schema: dict[str, Any]) -> Draft4Validator:
        root = {**to_json_schema(schema), "components": _components(self, name)}
        return Draft4Validator(root, format_checker=FORMATS)

    def validate(self, method: str, path: str, status: int, body: Any) -> None:
        """Raise AssertionError naming every spec violation of this body."""
        name, schema = self.response_schema(method, path, status)
        if schema is None:
            return
        errors = sorted(self.validator(name, schema).iter_errors(body), key=lambda e: list(e.absolute_path))
        if errors:
            raise AssertionError(f"{method} {path} -> {status} does not match Basware's spec:\n"
                                 + "\n".join(_describe(e) for e in errors[:20]))

    def validate_component(self, name: str, component: str, body: Any) -> None:
        """Validate `body` against one named schema of one spec file (e.g. the webhook NotificationPayload)."""
        validator = self.validator(name, {"$ref": f"#/components/schemas/{component}"})
        errors = list(validator.iter_errors(body))
        if errors:
            raise AssertionError(f"not a {component} of {name}:\n" + "\n".join(_describe(e) for e in errors))

    def check(self, method: str, path: str, response: Any, undocumented: tuple[int, ...] = ()) -> None:
        """Validate a `requests.Response` (or anything with status_code, headers, content, json())."""
        status = response.status_code
        if status in undocumented:
            return
        _, schema = self.response_schema(method, path, status)
        if schema is None and status not in SIMULATOR_CHOICES and response.content:
            # The spec gives no body (e.g. 404, 401 of the P2P API): any body goes, but it must be JSON.
            assert "json" in response.headers.get("content-type", ""), (method, path, status)
        if schema is None or not response.content:
            if schema is not None and schema.get("type") not in (None, "string"):
                raise AssertionError(f"{method} {path} -> {status}: empty body, spec expects {schema}")
            return
        ctype = response.headers.get("content-type", "")
        assert "json" in ctype, f"{method} {path} -> {status}: content-type {ctype!r}, not JSON"
        self.validate(method, path, status, response.json())


def _components(spec: Spec, name: str) -> dict[str, Any]:
    cache_ = spec.__dict__.setdefault("_converted", {})
    if name not in cache_:
        cache_[name] = to_json_schema(spec.documents[name]["components"])
    return cache_[name]


def _describe(error: ValidationError) -> str:
    where = "/".join(str(p) for p in error.absolute_path) or "(body)"
    return f"  {where}: {error.message[:300]}"


@cache
def load() -> Spec:
    require_spec()
    return Spec()


# -- the request schemas the simulator carries ------------------------------------------------------
def _strip(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _strip(v) for k, v in node.items() if k not in ("description", "example", "examples", "title")}
    if isinstance(node, list):
        return [_strip(v) for v in node]
    return node


def _closure(components: dict[str, Any], names: tuple[str, ...]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    stack = list(names)
    while stack:
        name = stack.pop()
        if name in found:
            continue
        found[name] = components[name]
        stack.extend(ref.split("/")[-1] for ref in re.findall(r'"\$ref": "([^"]+)"', json.dumps(found[name])))
    return found


def request_schemas(spec: Spec) -> dict[str, Any]:
    """What VENDORED must hold: per spec file the request schemas and their references, descriptions cut."""
    out: dict[str, Any] = {"source": f"Basware OpenAPI files, file version {SPEC_VERSION}", "schemas": {}}
    for name, roots in REQUEST_SCHEMAS.items():
        components = spec.documents[name]["components"]["schemas"]
        for key, schema in sorted(_closure(components, roots).items()):
            assert key not in out["schemas"], f"{key} is in two spec files"
            out["schemas"][key] = _strip(copy.deepcopy(schema))
    return out


if __name__ == "__main__":
    if "--write" not in sys.argv:
        sys.exit(f"usage: {sys.argv[0]} --write   (regenerates {VENDORED.relative_to(REPO)})")
    VENDORED.parent.mkdir(parents=True, exist_ok=True)
    VENDORED.write_text(json.dumps(request_schemas(Spec()), indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {VENDORED}")
