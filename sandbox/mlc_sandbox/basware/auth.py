"""OAuth2 client credentials: `POST /v1/tokens`, and the bearer-token check every API endpoint makes.

Tokens look like JWTs (three base64url parts, HS256-signed) but are checked against the issued set, so
revoking them works. Domain faults: `expire_token` treats the presented token as expired for one request,
`revoke_tokens` invalidates every token issued so far.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from mlc_sandbox.basware.errors import ApiError
from mlc_sandbox.basware.settings import BaswareSettings
from mlc_sandbox.faults import FaultInjector
from mlc_sandbox.issued_tokens import TokenListener
from mlc_sandbox.token_ledger import TokenLedger


@dataclass
class Grant:
    jti: str
    scopes: frozenset[str]
    expires_at: float
    revoked: bool = False


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


_JWT_HEADER = _b64(b'{"alg":"HS256","typ":"JWT"}')


class TokenStore:
    def __init__(self, settings: BaswareSettings) -> None:
        self.settings = settings
        self._key = secrets.token_bytes(32)
        self._lock = threading.Lock()
        self._grants: dict[str, Grant] = {}
        self.ledger = TokenLedger()
        self.listeners: list[TokenListener] = []  # told each token issued (a secrets test's canaries)

    def issue(self, scopes: list[str]) -> str:
        now = time.time()
        jti = uuid.uuid4().hex
        client_id = self.settings.client_id
        claims = {"iss": "basware-sandbox", "sub": client_id, "client_id": client_id,
                  "scope": " ".join(scopes), "iat": int(now), "exp": int(now) + self.settings.token_ttl,
                  "jti": jti}
        signing_input = f"{_JWT_HEADER}.{_b64(json.dumps(claims).encode())}"
        signature = hmac.new(self._key, signing_input.encode(), hashlib.sha256).digest()
        with self._lock:
            self._grants[jti] = Grant(jti, frozenset(scopes), now + self.settings.token_ttl)
        self.ledger.issued(jti, self.settings.token_ttl)
        token = f"{signing_input}.{_b64(signature)}"
        for listener in self.listeners:
            listener(token)
        return token

    def revoke_all(self) -> int:
        with self._lock:
            live = [g for g in self._grants.values() if not g.revoked]
            for grant in live:
                grant.revoked = True
        self.ledger.end_all()
        return len(live)

    def grant_for(self, token: str) -> Grant | None:
        """The grant of a well-formed token this store signed, or None."""
        parts = token.split(".")
        if len(parts) != 3:
            return None
        expected = _b64(hmac.new(self._key, f"{parts[0]}.{parts[1]}".encode(), hashlib.sha256).digest())
        if not hmac.compare_digest(expected, parts[2]):
            return None
        try:
            claims = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
        except (binascii.Error, ValueError):
            return None
        with self._lock:
            return self._grants.get(str(claims.get("jti")))


def _unauthorized(message: str) -> ApiError:
    return ApiError(401, "ACCESS_TOKEN_VALIDATION_ERROR", message, type_="SECURITY",
                    headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})


class BearerAuth:
    """Builds per-endpoint FastAPI dependencies: `Depends(auth.require("vendors.write"))`."""

    def __init__(self, tokens: TokenStore, injector: FaultInjector) -> None:
        self.tokens = tokens
        self.injector = injector

    def check(self, request: Request, scopes: tuple[str, ...]) -> Grant:
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() == "basic":
            return self._basic(header)
        if scheme.lower() != "bearer" or not token.strip():
            raise _unauthorized("Missing bearer token or basic credentials")
        grant = self.tokens.grant_for(token.strip())
        if grant is None:
            raise _unauthorized("Invalid access token")
        method, path = request.method, request.url.path
        if self.injector.take("basware", "revoke_tokens", method, path):
            self.tokens.revoke_all()
        if grant.revoked:
            self.tokens.ledger.ended(grant.jti)
            raise _unauthorized("Access token has been revoked")
        if grant.expires_at <= time.time() or self.injector.take("basware", "expire_token", method, path):
            self.tokens.ledger.ended(grant.jti)
            raise _unauthorized("Access token has expired")
        self.tokens.ledger.used(grant.jti)
        if not grant.scopes.intersection(scopes):
            raise ApiError(403, "ACCESS_TOKEN_VALIDATION_ERROR",
                           f"Access token lacks the scope for this operation ({' or '.join(scopes)})",
                           type_="SECURITY",
                           headers={"WWW-Authenticate": 'Bearer error="insufficient_scope"'})
        return grant

    def _basic(self, header: str) -> Grant:
        """The spec's other security scheme: HTTP Basic with the API credentials; every scope, no expiry."""
        settings = self.tokens.settings
        client_id, client_secret = _basic_credentials(header)
        if not (client_id and hmac.compare_digest(client_id, settings.client_id)
                and hmac.compare_digest(client_secret, settings.client_secret)):
            raise ApiError(401, "CREDENTIAL_VALIDATION_ERROR", "Invalid basic credentials", type_="SECURITY",
                           headers={"WWW-Authenticate": 'Basic realm="basware"'})
        return Grant("basic", frozenset(settings.allowed_scopes), float("inf"))

    def require(self, *scopes: str) -> Callable[[Request], Grant]:
        """Any one of `scopes` is enough (see settings: some endpoints accept a read or a write scope)."""

        def dependency(request: Request) -> Grant:
            return self.check(request, scopes)

        return dependency


def _oauth_error(status: int, error: str, description: str,
                 headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": error, "error_description": description}, status, headers=headers)


def tokens_router(store: TokenStore) -> APIRouter:
    router = APIRouter(tags=["tokens"])

    @router.post("/v1/tokens")
    async def issue_token(request: Request) -> JSONResponse:
        settings = store.settings
        client_id, client_secret = _basic_credentials(request.headers.get("authorization", ""))
        if not (hmac.compare_digest(client_id, settings.client_id)
                and hmac.compare_digest(client_secret, settings.client_secret)):
            return _oauth_error(401, "invalid_client", "Client authentication failed",
                                {"WWW-Authenticate": 'Basic realm="basware"'})
        form = await request.form()
        missing = [name for name in ("grant_type", "scope") if not form.get(name)]
        if missing:  # the spec's 422 HTTPValidationError: both form fields are required
            return JSONResponse({"detail": [{"loc": ["body", name], "msg": "Field required", "type": "missing"}
                                            for name in missing]}, 422)
        if form.get("grant_type") != "client_credentials":
            return _oauth_error(400, "unsupported_grant_type", "grant_type must be client_credentials")
        requested = str(form.get("scope") or "").split()
        unknown = [s for s in requested if s not in settings.allowed_scopes]
        if unknown:
            return _oauth_error(400, "invalid_scope", f"Unknown scope(s): {' '.join(unknown)}")
        scopes = requested
        return JSONResponse({"access_token": store.issue(scopes), "token_type": "Bearer",
                             "expires_in": settings.token_ttl, "scope": " ".join(scopes)},
                            headers={"Cache-Control": "no-store"})

    return router


def _basic_credentials(header: str) -> tuple[str, str]:
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic":
        return "", ""
    try:
        user, _, password = base64.b64decode(value.strip()).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return "", ""
    return user, password
