"""Fault injection for the simulators: random with a seed, or scripted exactly.

A `FaultRule` says what goes wrong (`kind`), where (system, method, path regex) and how often
(probability, `skip` the first N matching requests, fire at most `times`). Transport faults
(status codes, slowness, dropped connections) are applied by `FaultMiddleware` before a request
reaches the simulator; domain faults (expired tokens, a concurrent writer, duplicate or reordered
webhooks) are asked for by the simulators at the point where they happen, with `take()`.

Rules are managed per test or per profile, and over HTTP at `/_sandbox/faults` (see `admin_router`).
"""

from __future__ import annotations

import asyncio
import itertools
import random
import re
import threading
from collections.abc import Iterable
from typing import Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field
from starlette.types import ASGIApp, Message, Receive, Scope, Send

System = Literal["basware", "ifs", "*"]

# Faults the middleware applies on its own.
TRANSPORT_KINDS = ("status", "status_after", "slow", "timeout", "drop")
# IFS errors the middleware answers for the IFS simulator only (status and error code are fixed), before
# the request is processed: MI_MODIFIED_ERROR (500) when a projection changed (IFS says: retry), and
# ODP_OPERATION_TIMEOUT (504) when a query ran past its timeout (5 min by default).
IFS_ERROR_KINDS: dict[str, tuple[int, str, str]] = {
    "mi_modified_error": (500, "MI_MODIFIED_ERROR",
                          "The projection has been modified since the request was started. Retry the request."),
    "operation_timeout": (504, "ODP_OPERATION_TIMEOUT", "The operation timed out."),
}
# Faults the simulators ask for where they apply.
DOMAIN_KINDS = ("expire_token", "revoke_tokens", "concurrent_write", "duplicate_webhook", "out_of_order_webhook")
FaultKind = Literal["status", "status_after", "slow", "timeout", "drop", "expire_token", "revoke_tokens",
                    "concurrent_write", "duplicate_webhook", "out_of_order_webhook", "mi_modified_error",
                    "operation_timeout"]

ADMIN_PREFIX = "/_sandbox"


class FaultRule(BaseModel):
    """One fault. Matching is by system, HTTP method and a regex searched in the path."""

    id: str | None = None
    kind: FaultKind
    system: System = "*"
    method: str | None = None
    path: str | None = None
    status: int = 503
    retry_after: float | None = Field(default=None, description="seconds, sent as Retry-After")
    delay: float = Field(default=0.0, description="seconds; for slow and timeout")
    probability: float = Field(default=1.0, ge=0.0, le=1.0)
    skip: int = Field(default=0, ge=0, description="let this many matching requests through first")
    times: int | None = Field(default=None, ge=0, description="fire at most this often; None = no limit")
    fired: int = 0
    seen: int = 0

    def matches(self, system: str, kind: str | Iterable[str], method: str, path: str) -> bool:
        kinds = (kind,) if isinstance(kind, str) else tuple(kind)
        if self.kind not in kinds:
            return False
        if self.system not in ("*", system):
            return False
        if self.method and self.method.upper() != method.upper():
            return False
        return not (self.path and not re.search(self.path, path))


class FaultProfile(BaseModel):
    """A named set of rules plus the share of deliberately invalid documents in the seed data."""

    name: str
    rules: list[FaultRule] = []
    invalid_share: float = 0.0


def _profiles() -> dict[str, FaultProfile]:
    def rule(**kw: Any) -> FaultRule:
        return FaultRule(**kw)

    flaky = [
        rule(kind="status", status=503, probability=0.03, retry_after=0.2),
        rule(kind="status", status=429, probability=0.03, retry_after=0.5),
        rule(kind="status", status=502, probability=0.02),
        rule(kind="status", status=504, probability=0.01),
        rule(kind="slow", delay=0.3, probability=0.02),
        rule(kind="drop", probability=0.01),
        rule(kind="concurrent_write", system="ifs", probability=0.1),
        rule(kind="duplicate_webhook", system="basware", probability=0.2),
        rule(kind="out_of_order_webhook", system="basware", probability=0.2),
    ]
    chaos = [
        rule(kind="status", status=503, probability=0.1, retry_after=0.2),
        rule(kind="status", status=429, probability=0.1, retry_after=0.5),
        rule(kind="status", status=500, probability=0.03),
        rule(kind="status", status=502, probability=0.05),
        rule(kind="status", status=504, probability=0.03),
        rule(kind="slow", delay=1.0, probability=0.05),
        rule(kind="drop", probability=0.03),
        rule(kind="expire_token", probability=0.03),
        rule(kind="concurrent_write", system="ifs", probability=0.3),
        rule(kind="mi_modified_error", system="ifs", probability=0.02),
        rule(kind="operation_timeout", system="ifs", probability=0.01),
        rule(kind="duplicate_webhook", system="basware", probability=0.5),
        rule(kind="out_of_order_webhook", system="basware", probability=0.5),
    ]
    return {
        "none": FaultProfile(name="none"),
        "flaky": FaultProfile(name="flaky", rules=flaky, invalid_share=0.03),
        "chaos": FaultProfile(name="chaos", rules=chaos, invalid_share=0.08),
        "invalid-data": FaultProfile(name="invalid-data", invalid_share=0.1),
    }


PROFILES = _profiles()


def profile(name: str) -> FaultProfile:
    try:
        return PROFILES[name].model_copy(deep=True)
    except KeyError:
        raise ValueError(f"unknown fault profile {name!r}; known: {', '.join(PROFILES)}") from None


class FaultInjector:
    """Thread-safe store of rules; `take()` decides, with a seeded RNG, whether a fault fires now."""

    def __init__(self, rules: Iterable[FaultRule] = (), seed: int = 0) -> None:
        self._lock = threading.Lock()
        self._rng = random.Random(f"faults:{seed}")
        self._ids = itertools.count(1)
        self._rules: list[FaultRule] = []
        self.log: list[dict[str, Any]] = []
        self._holding = 0  # requests inside a slow/timeout fault (held, or being answered after it)
        for r in rules:
            self.add(r)

    def add(self, rule: FaultRule) -> FaultRule:
        with self._lock:
            rule = rule.model_copy(update={"id": rule.id or f"f{next(self._ids)}", "fired": 0, "seen": 0})
            self._rules.append(rule)
            return rule

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()
            self.log.clear()

    def rules(self) -> list[FaultRule]:
        with self._lock:
            return [r.model_copy() for r in self._rules]

    def take(self, system: str, kind: str | Iterable[str], method: str = "", path: str = "") -> FaultRule | None:
        """The first matching rule that fires for this request, or None. Firing consumes `times`."""
        with self._lock:
            for rule in self._rules:
                if not rule.matches(system, kind, method, path):
                    continue
                rule.seen += 1
                if rule.seen <= rule.skip or (rule.times is not None and rule.fired >= rule.times):
                    continue
                if rule.probability < 1.0 and self._rng.random() >= rule.probability:
                    continue
                rule.fired += 1
                self.log.append({"rule": rule.id, "kind": rule.kind, "system": system,
                                 "method": method, "path": path})
                return rule.model_copy()
        return None

    def active(self, rule_id: str | None) -> bool:
        with self._lock:
            return any(r.id == rule_id for r in self._rules)

    @property
    def holding(self) -> int:
        """Requests a slow/timeout fault holds or has just let through and that are not answered yet."""
        with self._lock:
            return self._holding

    async def hold(self, rule: FaultRule) -> None:
        """Wait out a slow/timeout fault's delay, or less: once its rule is removed (clear()) the request
        goes on at once, so a test that clears its faults is not left with requests landing a minute later."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + (rule.delay or (30.0 if rule.kind == "timeout" else 1.0))
        while (left := deadline - loop.time()) > 0 and self.active(rule.id):
            await asyncio.sleep(min(left, 0.05))

    def _count_holding(self, delta: int) -> None:
        with self._lock:
            self._holding += delta


class FaultMiddleware:
    """ASGI middleware applying transport faults to every request outside the admin prefix."""

    def __init__(self, app: ASGIApp, injector: FaultInjector, system: str) -> None:
        self.app = app
        self.injector = injector
        self.system = system
        self.kinds = TRANSPORT_KINDS + (tuple(IFS_ERROR_KINDS) if system == "ifs" else ())

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(ADMIN_PREFIX):
            await self.app(scope, receive, send)
            return
        rule = self.injector.take(self.system, self.kinds, scope["method"], scope["path"])
        if rule is None:
            await self.app(scope, receive, send)
            return
        if rule.kind in ("slow", "timeout"):
            # slow: answer late; timeout: hold the request long enough for the client to give up.
            self.injector._count_holding(1)
            try:
                await self.injector.hold(rule)
                await self.app(scope, receive, send)
            finally:
                self.injector._count_holding(-1)
        elif rule.kind == "status_after":
            # The request is applied, then its answer is lost behind a gateway error (e.g. 504):
            # the client cannot know that its POST went through.
            async def discard(message: Message) -> None:
                pass

            await self.app(scope, receive, discard)
            await _send_status(send, rule, self.system, scope.get("path", ""))
        elif rule.kind == "drop":
            # Headers go out, then the connection is closed with no body: the client sees a broken response.
            await send({"type": "http.response.start", "status": 200,
                        "headers": [(b"content-type", b"application/json"), (b"content-length", b"1000")]})
            raise ConnectionAbortedError("sandbox fault: connection dropped")
        elif rule.kind in IFS_ERROR_KINDS:
            status, code, text = IFS_ERROR_KINDS[rule.kind]
            await _send_status(send, rule.model_copy(update={"status": status}), self.system, error=(code, text))
        else:
            await _send_status(send, rule, self.system, scope.get("path", ""))


async def _send_status(send: Send, rule: FaultRule, system: str, path: str = "",
                       error: tuple[str, str] | None = None) -> None:
    import json

    body: dict[str, Any]
    if system == "ifs":
        code, text = error or ("SANDBOX_FAULT", f"Injected fault: HTTP {rule.status}")
        body = {"error": {"code": code, "message": text}}
    elif path.startswith(("/v1/subscriptions", "/v1/tasks")):
        body = {"message": f"Injected fault: HTTP {rule.status}"}  # the push notification API's error body
    else:
        # Basware's ResponseEntityList (the spec's 500 body). The spec is silent on 429 and 503: the
        # simulator answers them with the same body and a Retry-After header when the rule has one.
        body = {"requestId": "", "hasErrors": True, "errors": [
            {"externalCode": None, "type": "TECHNICAL", "code": "UNEXPECTED_ERROR",
             "message": f"Injected fault: HTTP {rule.status}"}]}
    payload = json.dumps(body).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())]
    if rule.retry_after is not None:
        headers.append((b"retry-after", _retry_after_value(rule.retry_after).encode()))
    message: Message = {"type": "http.response.start", "status": rule.status, "headers": headers}
    await send(message)
    await send({"type": "http.response.body", "body": payload})


def _retry_after_value(seconds: float) -> str:
    # Retry-After is whole seconds in HTTP; sub-second values (test speed) are sent as decimals.
    return str(int(seconds)) if float(seconds).is_integer() else f"{seconds:g}"


def admin_router(injector: FaultInjector) -> APIRouter:
    """`/_sandbox/faults`: list, add (one rule or a list), clear; `/_sandbox/faults/log`: what fired."""
    router = APIRouter(prefix=f"{ADMIN_PREFIX}/faults", tags=["sandbox"])

    @router.get("")
    def list_faults() -> list[FaultRule]:
        return injector.rules()

    @router.post("", status_code=201)
    def add_faults(rules: FaultRule | list[FaultRule]) -> list[FaultRule]:
        items = rules if isinstance(rules, list) else [rules]
        return [injector.add(r) for r in items]

    @router.delete("", status_code=204)
    def clear_faults() -> None:
        injector.clear()

    @router.get("/log")
    def fault_log() -> list[dict[str, Any]]:
        return list(injector.log)

    return router
