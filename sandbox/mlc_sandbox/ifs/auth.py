"""Keycloak-style IAM: client-credentials tokens (JWT-shaped, 180 s by default) and bearer checks.

Tokens are checked by lookup, so the sandbox can expire one (fault `expire_token`) or revoke all
(fault `revoke_tokens`, admin endpoint) whatever the token's own `exp` says.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import secrets
import threading
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Request
from starlette.responses import JSONResponse

from mlc_sandbox.faults import FaultInjector
from mlc_sandbox.ifs.clock import SimClock
from mlc_sandbox.ifs.errors import IfsError
from mlc_sandbox.ifs.settings import IfsSettings
from mlc_sandbox.issued_tokens import TokenListener
from mlc_sandbox.token_ledger import TokenLedger

log = logging.getLogger(__name__)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


class TokenService:
    def __init__(self, settings: IfsSettings, clock: SimClock, injector: FaultInjector) -> None:
        self.settings = settings
        self.clock = clock
        self.injector = injector
        self._key = secrets.token_bytes(32)
        self._lock = threading.Lock()
        self._expiry: dict[str, datetime] = {}
        self._revoked: set[str] = set()
        self.token_requests = 0
        self.tokens_issued = 0
        self.ledger = TokenLedger()
        self.listeners: list[TokenListener] = []  # told each token issued (a secrets test's canaries)

    def issue(self, issuer: str) -> dict[str, Any]:
        now = self.clock.now()
        ttl = self.settings.token_ttl
        issued_at = int(now.timestamp())
        claims = {"exp": issued_at + ttl, "iat": issued_at, "jti": secrets.token_hex(16),
                  "iss": issuer, "typ": "Bearer", "azp": self.settings.client_id,
                  "preferred_username": f"service-account-{self.settings.client_id}",
                  "scope": "openid microprofile-jwt"}
        head = _b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": "sandbox"}).encode())
        body = _b64(json.dumps(claims).encode())
        signature = _b64(hmac.new(self._key, f"{head}.{body}".encode(), hashlib.sha256).digest())
        token = f"{head}.{body}.{signature}"
        with self._lock:
            self._expiry[token] = now + timedelta(seconds=ttl)
            self.tokens_issued += 1
        self.ledger.issued(token, ttl)
        for listener in self.listeners:
            listener(token)
        return {"access_token": token, "expires_in": ttl, "refresh_expires_in": 0, "token_type": "Bearer",
                "not-before-policy": 0, "scope": "openid microprofile-jwt"}

    def revoke_all(self) -> int:
        with self._lock:
            count = len(self._expiry)
            self._revoked.update(self._expiry)
            self._expiry.clear()
        self.ledger.end_all()
        log.info("IFS sandbox: revoked %d tokens", count)
        return count

    def active(self) -> int:
        now = self.clock.now()
        with self._lock:
            return sum(1 for expiry in self._expiry.values() if expiry > now)

    def authenticate(self, request: Request) -> None:
        """401 (IFS error body) unless the request carries a live bearer token."""
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise _unauthorized("No bearer token in the Authorization header.")
        token = token.strip()
        with self._lock:
            expiry = self._expiry.get(token)
            revoked = token in self._revoked
        if revoked or expiry is None or expiry <= self.clock.now():
            self.ledger.ended(token)
        if revoked:
            raise _unauthorized("The access token has been revoked.")
        if expiry is None:
            raise _unauthorized("The access token is not valid.")
        if expiry <= self.clock.now():
            raise _unauthorized("The access token has expired.")
        method, path = request.method, request.url.path
        if self.injector.take("ifs", "revoke_tokens", method, path):
            self.revoke_all()
            raise _unauthorized("The access token has been revoked.")
        if self.injector.take("ifs", "expire_token", method, path):
            with self._lock:
                self._expiry[token] = self.clock.now()
            self.ledger.ended(token)
            raise _unauthorized("The access token has expired.")
        self.ledger.used(token)


def _unauthorized(message: str) -> IfsError:
    challenge = f'Bearer error="invalid_token", error_description="{message}"'
    return IfsError(401, "UNAUTHORIZED", message, headers={"WWW-Authenticate": challenge})


def token_router(service: TokenService) -> APIRouter:
    router = APIRouter()

    @router.post("/auth/realms/{realm}/protocol/openid-connect/token")
    async def token(realm: str, request: Request) -> JSONResponse:
        service.token_requests += 1
        settings = service.settings
        if realm != settings.realm:
            return JSONResponse({"error": "Realm does not exist"}, status_code=404)
        form = {k: v[0] for k, v in parse_qs((await request.body()).decode(errors="replace")).items()}
        basic = _basic_credentials(request)
        client_id, client_secret = basic or (form.get("client_id"), form.get("client_secret"))
        grant = form.get("grant_type")
        if not grant:
            return _oauth_error(400, "invalid_request", "Missing form parameter: grant_type")
        if grant != "client_credentials":
            return _oauth_error(400, "unsupported_grant_type", "Unsupported grant_type")
        if client_id != settings.client_id:
            return _oauth_error(401, "invalid_client", "Invalid client or Invalid client credentials")
        if not client_secret or not hmac.compare_digest(client_secret, settings.client_secret):
            return _oauth_error(401, "unauthorized_client", "Invalid client secret")
        issuer = f"{str(request.base_url).rstrip('/')}/auth/realms/{realm}"
        no_cache = {"Cache-Control": "no-store", "Pragma": "no-cache"}
        return JSONResponse(service.issue(issuer), headers=no_cache)

    return router


def _basic_credentials(request: Request) -> tuple[str, str] | None:
    scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        user, _, password = base64.b64decode(encoded).decode().partition(":")
    except ValueError:
        return None
    return user, password


def _oauth_error(status: int, error: str, description: str) -> JSONResponse:
    return JSONResponse({"error": error, "error_description": description}, status_code=status)
