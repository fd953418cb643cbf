"""Basware's published OpenAPI files as JSON Schema validators, and spec-shaped example answers.

Shared by tests/unit/basware (the client's requests and answers) and tests/unit/sync (the mapping's
input documents); tests/unit is on sys.path through its conftest.

The files, the skip rule and the `nullable` conversion come from tests/basware_openapi.py (shared with
the simulator's contract tests); every `$ref` is resolved by `referencing` within its own file.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from typing import Any

from jsonschema import Draft4Validator
from jsonschema.exceptions import ValidationError
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

from basware_openapi import documents, format_checker, require_spec, to_json_schema

METHODS = ("get", "post", "put", "patch", "delete")


def _uri(name: str) -> str:
    return f"urn:basware-openapi:{name}"


@dataclass(frozen=True)
class Operation:
    spec: str
    method: str
    template: str
    node: dict[str, Any]
    pattern: re.Pattern[str]

    @property
    def name(self) -> str:
        return f"{self.method.upper()} {self.template}"

    def pointer(self, *parts: str) -> str:
        escaped = [p.replace("~", "~0").replace("/", "~1") for p in ("paths", self.template, self.method, *parts)]
        return _uri(self.spec) + "#/" + "/".join(escaped)


class BaswareSpec:
    """The three files: operations by method and path, validators for their bodies and answers."""

    def __init__(self, raw: Mapping[str, dict[str, Any]]) -> None:
        self.raw = raw
        self.specs = {name: to_json_schema(spec) for name, spec in raw.items()}
        self.registry: Registry[Any] = Registry().with_resources(
            (_uri(name), Resource.from_contents(spec, default_specification=DRAFT4))
            for name, spec in self.specs.items())
        self.checker = format_checker()
        self.operations = list(self._operations())

    def _operations(self) -> Iterator[Operation]:
        for name, spec in self.specs.items():
            for template, item in spec["paths"].items():
                regex = "^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)) + "$"
                for method in METHODS:
                    if method in item:
                        yield Operation(name, method, template, item[method], re.compile(regex))

    def operation(self, method: str, path: str) -> Operation:
        found = [op for op in self.operations if op.method == method.lower() and op.pattern.match(path)]
        if not found:
            raise AssertionError(f"{method} {path} is not an operation of Basware's spec")
        # /v1/accountingDocuments/status before /v1/accountingDocuments/{invoiceId}: literal segments win
        return min(found, key=lambda op: op.template.count("{"))

    def validator(self, ref: str) -> Draft4Validator:
        return Draft4Validator({"$ref": ref}, registry=self.registry, format_checker=self.checker)

    def errors(self, ref: str, instance: Any) -> list[str]:
        return [f"{'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}"
                for e in self.validator(ref).iter_errors(instance)]

    def schema_ref(self, spec: str, name: str) -> str:
        return f"{_uri(spec)}#/components/schemas/{name}"

    def request_ref(self, op: Operation, content_type: str = "application/json") -> str:
        content = self._resolved(op.spec, op.node["requestBody"])["content"]
        media = content_type if content_type in content else next(iter(content))
        return op.pointer("requestBody", "content", media, "schema")

    def response_ref(self, op: Operation, status: str = "200") -> str:
        return op.pointer("responses", status, "content", "application/json", "schema")

    def parameters(self, op: Operation) -> list[dict[str, Any]]:
        return [self._resolved(op.spec, p) for p in op.node.get("parameters", [])]

    def _resolved(self, spec: str, node: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in node:
            target: Any = self.specs[spec]
            for part in node["$ref"].lstrip("#/").split("/"):
                target = target[part]
            node = target
        return node

    def check_request(self, method: str, path: str, query: Mapping[str, list[str]], body: Any,
                      content_type: str | None) -> Operation:
        """The operation this request is; AssertionError naming every way it departs from the spec."""
        op = self.operation(method, path)
        problems = []
        params = {p["name"]: p for p in self.parameters(op) if p["in"] == "query"}
        problems += [f"query parameter {q!r} is not in the spec" for q in query if q not in params]
        problems += [f"required query parameter {n!r} is missing" for n, p in params.items()
                     if p.get("required") and n not in query]
        for name, values in query.items():
            enum = params.get(name, {}).get("schema", {}).get("enum")
            problems += [f"query {name}={v!r} is not one of the spec's values" for v in values
                         if enum and v not in enum]
        if "requestBody" in op.node:
            problems += [f"body {e}" for e in self.errors(self.request_ref(op, content_type or ""), body)]
        if problems:
            raise AssertionError(f"{op.name}: " + "; ".join(problems))
        return op


@cache
def load_spec() -> BaswareSpec:
    return BaswareSpec(documents())


# Spec-shaped example instances, built from the schemas: every property filled (to the depth given),
# strings within their lengths and enums, numbers as Decimal (how the client decodes them).
_STRINGS = {"date-time": "2026-09-25T08:30:00Z", "uri": "https://hooks.example.com/basware"}


def example(spec: BaswareSpec, name: str, schema: str, *, depth: int = 3,
            overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
    node = spec.raw[name]["components"]["schemas"][schema]
    value = _example(spec.raw[name], node, depth, schema)
    assert isinstance(value, dict)
    value.update(copy.deepcopy(dict(overrides or {})))
    return value


def _example(root: dict[str, Any], node: dict[str, Any], depth: int, label: str) -> Any:
    while "$ref" in node:
        target: Any = root
        for part in node["$ref"].lstrip("#/").split("/"):
            target = target[part]
        node = target
    if "allOf" in node:  # an object merged from its parts, or (e.g. an enum wrapped in allOf) the part itself
        parts = [_example(root, part, depth, label) for part in node["allOf"]]
        if all(isinstance(p, dict) for p in parts):
            return {k: v for p in parts for k, v in p.items()}
        return parts[-1]
    kind = node.get("type") or ("object" if "properties" in node else None)
    if "enum" in node:
        return node["enum"][0]
    if kind == "object":
        props = node.get("properties", {})
        keep = props if depth > 0 else {k: v for k, v in props.items() if k in node.get("required", ())}
        return {k: _example(root, v, depth - 1, k) for k, v in keep.items()}
    if kind == "array":
        return [_example(root, node["items"], depth - 1, label)] if depth > 0 else []
    if kind == "string":
        text = _STRINGS.get(node.get("format", ""), f"{label}-1")
        text = "orders@example.com" if label.lower().endswith("email") else text
        low, high = node.get("minLength", 0), node.get("maxLength", 250)
        return (text + "x" * max(0, low - len(text)))[:high]
    if kind == "integer":
        return max(1, node.get("minimum", 1))
    if kind == "number":
        return Decimal("12.5")
    if kind == "boolean":
        return False
    return None


def assert_valid(spec: BaswareSpec, ref: str, instance: Any, what: str) -> None:
    problems = spec.errors(ref, instance)
    assert not problems, f"{what} departs from the spec: " + "; ".join(problems[:10])


__all__ = ["BaswareSpec", "Operation", "ValidationError", "assert_valid", "example", "load_spec", "require_spec"]
