"""OAuth2 client-credentials tokens: one manager per credential set, shared by every request.

The manager refreshes ahead of expiry (IFS tokens live 180 s) and lets only one thread fetch at a
time: threads that queue behind a refresh reuse its result, or its failure. Given a `TokenCache`
(`share_through`), it shares its token with the other processes of the credential set too: one of
them asks the IAM, under the cache's lock, and the rest adopt the sealed token it saved.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import quote

import requests
from pydantic import SecretStr

from ml_connector.http import errors
from ml_connector.http.classify import Action, classify
from ml_connector.http.environment import EnvironmentOnceSession
from ml_connector.http.raising import error_for_exception, error_for_response
from ml_connector.http.redact import redact, register_secret
from ml_connector.http.request_ids import new_request_id
from ml_connector.http.retry import RetryPolicy
from ml_connector.http.token_seal import TokenSeal
from ml_connector.http.urls import join, path_of

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TokenGrant:
    access_token: SecretStr
    expires_in: float
    token_type: str = "Bearer"


TokenSource = Callable[[], TokenGrant]
# Told of every token request's outcome: (True, None) after a grant, (False, redacted reason) after a failure.
TokenObserver = Callable[[bool, str | None], None]


class TokenCache(Protocol):
    """Rows of sealed tokens that the processes of a credential set share (the state store is one).

    The cache sees only a derived slot and sealed bytes (see token_seal); what it must add is a lock
    per slot across processes, so that one of them asks the IAM while the others wait for its row.
    """

    def load_token(self, slot: str) -> bytes | None: ...

    def save_token(self, slot: str, sealed: bytes, expires_at: float) -> None: ...

    def discard_token(self, slot: str, sealed: bytes) -> None:
        """Delete the row if it still holds `sealed` (a token the API refused); else leave it."""

    def token_lock(self, slot: str, timeout: float) -> AbstractContextManager[bool]:
        """Held for the block; yields False if `timeout` seconds passed first."""


# How long a process waits for another one's token request before asking the IAM itself: longer than a
# token request may take with all its retries (RetryPolicy.max_total_seconds, 120 s by default).
CACHE_LOCK_TIMEOUT_S = 150.0


@dataclass(frozen=True)
class _Held:
    value: SecretStr
    refresh_at: float
    expires_at: float
    sealed: bytes | None = None  # its row in the shared cache, to discard it if the API refuses it


class TokenManager:
    """Thread-safe, single-flight holder of one bearer token."""

    def __init__(
        self,
        source: TokenSource,
        *,
        min_margin: float = 10.0,
        margin_fraction: float = 0.1,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
        name: str = "oauth2",
        seal: TokenSeal | None = None,
    ) -> None:
        self._source = source
        self._min_margin = min_margin
        self._margin_fraction = margin_fraction
        self._clock = clock
        self._wall_clock = wall_clock  # for the shared cache's times, which other processes read
        self.name = name
        self.token_requests = 0  # every call to the token endpoint, for tests and metrics
        self.tokens_adopted = 0  # tokens another process requested and this one took from the cache
        self._seal = seal
        self._cache: TokenCache | None = None
        self._cache_lock_timeout = CACHE_LOCK_TIMEOUT_S
        self._lock = threading.Lock()
        self._held: _Held | None = None
        self._failures = 0
        self._last_error: BaseException | None = None
        self._observers: dict[str, TokenObserver] = {}

    def __repr__(self) -> str:
        return f"TokenManager(name={self.name!r}, token_requests={self.token_requests})"

    def margin_for(self, lifetime: float) -> float:
        """Refresh this long before expiry; never more than half the lifetime, or we'd always refresh."""
        return min(max(self._min_margin, self._margin_fraction * lifetime), lifetime / 2)

    def get_token(self) -> str:
        held = self._held
        if held is not None and self._clock() < held.refresh_at:
            return held.value.get_secret_value()
        failures_seen = self._failures
        with self._lock:
            held = self._held
            if held is not None and self._clock() < held.refresh_at:
                return held.value.get_secret_value()  # another thread refreshed while we waited
            if self._failures != failures_seen and self._last_error is not None:
                raise self._last_error  # the refresh we queued behind failed: don't hammer the IAM
            try:
                value = self._obtain()
            except Exception as exc:
                failure: Exception | None = exc
            else:
                failure = None
        # Outside the lock: an observer may write to a database, and the other threads wait for no one.
        self._notify(failure is None, None if failure is None else redact(failure))
        if failure is not None:
            raise failure
        return value

    def share_through(self, cache: TokenCache, *, lock_timeout: float = CACHE_LOCK_TIMEOUT_S) -> None:
        """Share this credential set's token with other processes through `cache` (see the module
        docstring); a manager built without a seal has nothing to share and keeps to itself."""
        if self._seal is None:
            raise ValueError(f"token manager {self.name} has no seal: it cannot share its token")
        with self._lock:
            self._cache = cache
            self._cache_lock_timeout = lock_timeout

    def observe(self, key: str, observer: TokenObserver) -> None:
        """Register `observer` under `key` (a second one under the same key replaces it): a shared
        manager outlives the code that registered, which may register again."""
        with self._lock:
            self._observers[key] = observer

    def _notify(self, ok: bool, reason: str | None) -> None:
        for key, observer in list(self._observers.items()):
            try:
                observer(ok, reason)
            except Exception as exc:  # a health record must never fail a request
                log.warning("Token observer %s of %s failed: %s", key, self.name, redact(exc))

    def invalidate(self, token: str | None = None) -> None:
        """Drop the held token (after an unexpected 401); a no-op if `token` was already replaced."""
        with self._lock:
            held = self._held
            if held is None:
                return
            if token is None or held.value.get_secret_value() == token:
                log.info("Token for %s invalidated; the next request fetches a new one", self.name)
                self._held = None
                if self._cache is not None and self._seal is not None and held.sealed is not None:
                    try:  # so that no other process adopts it; a newer row is left alone
                        self._cache.discard_token(self._seal.slot, held.sealed)
                    except Exception as exc:
                        log.warning("Could not drop the refused token of %s from the token cache: %s",
                                    self.name, redact(exc))

    def _obtain(self) -> str:
        """A token from the shared cache if one is fresh there, else from the IAM (one process at a time)."""
        cache, seal = self._cache, self._seal
        if cache is None or seal is None:
            return self._refresh()
        if (value := self._adopt(cache, seal)) is not None:
            return value
        try:
            slot_lock = cache.token_lock(seal.slot, self._cache_lock_timeout)
            with slot_lock as locked:
                if (value := self._adopt(cache, seal)) is not None:
                    return value  # the process we waited for saved a fresh one
                if not locked:
                    log.warning("Waited %.0f s for another process's token request for %s; requesting one",
                                self._cache_lock_timeout, self.name)
                return self._refresh()
        except errors.MlConnectorError:
            raise  # the IAM's answer, not the cache's
        except Exception as exc:  # the cache's database is down: tokens still come, one per process
            log.warning("Token cache unavailable for %s, requesting a token without it: %s", self.name, redact(exc))
            return self._refresh(save=False)

    def _adopt(self, cache: TokenCache, seal: TokenSeal) -> str | None:
        try:
            sealed = cache.load_token(seal.slot)
        except Exception as exc:
            log.warning("Token cache unreadable for %s: %s", self.name, redact(exc))
            return None
        if sealed is None:
            return None
        opened = seal.open(sealed)
        if opened is None:
            log.warning("Ignored a token cache row of %s that does not open with its credentials (altered)",
                        self.name)
            return None
        wall, now = self._wall_clock(), self._clock()
        if wall >= opened.refresh_at:
            return None
        value = opened.value.get_secret_value()
        register_secret(value, pinned=False)
        self._held = _Held(opened.value, now + opened.refresh_at - wall, now + opened.expires_at - wall, sealed)
        self._last_error = None
        self.tokens_adopted += 1
        log.debug("Adopted the shared token of %s (%.0fs left)", self.name, opened.expires_at - wall)
        return value

    def _refresh(self, *, save: bool = True) -> str:
        self.token_requests += 1
        try:
            grant = self._source()
        except BaseException as exc:
            self._failures += 1
            self._last_error = exc
            raise
        value = grant.access_token.get_secret_value()
        register_secret(value, pinned=False)
        now, wall = self._clock(), self._wall_clock()
        lifetime = max(float(grant.expires_in), 1.0)
        refresh_in = lifetime - self.margin_for(lifetime)
        sealed = self._save(grant.access_token, wall + refresh_in, wall + lifetime) if save else None
        self._held = _Held(grant.access_token, now + refresh_in, now + lifetime, sealed)
        self._last_error = None
        log.info("Obtained token for %s (lifetime %.0fs)", self.name, lifetime)
        return value

    def _save(self, token: SecretStr, refresh_at: float, expires_at: float) -> bytes | None:
        cache, seal = self._cache, self._seal
        if cache is None or seal is None:
            return None
        sealed = seal.seal(token, refresh_at=refresh_at, expires_at=expires_at)
        try:
            cache.save_token(seal.slot, sealed, expires_at)
        except Exception as exc:  # the token is good; only the other processes will ask for their own
            log.warning("Could not save the token of %s to the token cache: %s", self.name, redact(exc))
            return None
        return sealed


_SHARED: dict[tuple[str, ...], TokenManager] = {}
_SHARED_LOCK = threading.Lock()


def shared_token_manager(key: tuple[str, ...], factory: Callable[[], TokenManager]) -> TokenManager:
    """One manager per credential set per process, so every client of a tenant shares one token.

    Put a digest of the secret in `key` (see `credential_key`) so a rotated secret gets a new manager.
    """
    with _SHARED_LOCK:
        manager = _SHARED.get(key)
        if manager is None:
            manager = _SHARED[key] = factory()
        return manager


def credential_key(
    token_url: str, client_id: str, secret: str | SecretStr, scope: str = ""
) -> tuple[str, ...]:
    raw = secret.get_secret_value() if isinstance(secret, SecretStr) else secret
    return (token_url, client_id, scope, hashlib.sha256(raw.encode()).hexdigest())


class _FormTokenSource:
    """POST a client-credentials form and parse the JSON answer; shared by both token styles."""

    url: str

    def __init__(
        self,
        client_id: str,
        client_secret: str | SecretStr,
        *,
        session: requests.Session | None = None,
        timeout: float | tuple[float, float] = (5.0, 30.0),
        retry: RetryPolicy | None = None,
        request_id_header: str | None = None,
    ) -> None:
        self.client_id = client_id
        self.request_id_header = request_id_header
        secret = client_secret if isinstance(client_secret, SecretStr) else SecretStr(client_secret)
        self.client_secret = secret
        register_secret(self.client_secret.get_secret_value())
        self._session = session or EnvironmentOnceSession()
        self._timeout = timeout
        self._retry = retry or RetryPolicy()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(url={self.url!r}, client_id={self.client_id!r})"

    def _form(self) -> dict[str, str]:
        raise NotImplementedError

    def _auth(self) -> tuple[str, str] | None:
        return None

    def __call__(self) -> TokenGrant:
        return self._retry.retrying()(self._attempt)

    def _attempt(self) -> TokenGrant:
        headers = {"Accept": "application/json"}
        if self.request_id_header:  # a fresh id per attempt, like every other call of the API
            headers[self.request_id_header] = new_request_id()
        try:
            resp = self._session.post(
                self.url,
                data=self._form(),
                auth=self._auth(),
                headers=headers,
                timeout=self._timeout,
                allow_redirects=False,
            )
        except requests.RequestException as exc:
            raise error_for_exception(classify(exc), exc, method="POST", url=self.url) from None
        action = classify(resp, {400: Action.FAIL, 401: Action.FAIL})
        if action is not Action.SUCCESS or resp.status_code != 200:
            err = error_for_response(action, resp)
            if isinstance(err, errors.TransientError):
                raise err
            raise errors.AuthenticationError.from_response(
                resp, f"token request refused for {self.client_id}"
            )
        return _parse_grant(resp, self.url)


def _parse_grant(resp: requests.Response, url: str) -> TokenGrant:
    # Never echo the body here: a successful token response *is* the secret.
    try:
        body: Any = resp.json()
        token = body["access_token"]
        expires_in = float(body.get("expires_in", 300))
    except (ValueError, KeyError, TypeError):
        raise errors.ProtocolError(
            "token response without access_token/expires_in", status=resp.status_code, path=path_of(url)
        ) from None
    if not isinstance(token, str) or not token:
        raise errors.ProtocolError("empty access_token", status=resp.status_code, path=path_of(url))
    return TokenGrant(SecretStr(token), expires_in, str(body.get("token_type", "Bearer")))


class BaswareTokenSource(_FormTokenSource):
    """`POST {base}/v1/tokens`, HTTP Basic client_id:client_secret, form grant_type + scope."""

    def __init__(
        self, base_url: str, client_id: str, client_secret: str | SecretStr, scopes: Sequence[str] | str,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("request_id_header", "X-BW-REQUEST-ID")  # Basware wants one on every call
        super().__init__(client_id, client_secret, **kwargs)
        self.url = join(base_url, "/v1/tokens")
        self.scope = (scopes if isinstance(scopes, str) else " ".join(scopes)).strip()
        if not self.scope:
            raise ValueError("Basware's token request requires a scope (e.g. 'accountingDocuments.read')")

    def _form(self) -> dict[str, str]:
        return {"grant_type": "client_credentials", "scope": self.scope}

    def _auth(self) -> tuple[str, str] | None:
        return (self.client_id, self.client_secret.get_secret_value())


class KeycloakTokenSource(_FormTokenSource):
    """IFS IAM: `POST {host}/auth/realms/{realm}/protocol/openid-connect/token`, secret in the form."""

    def __init__(
        self, host: str, realm: str, client_id: str, client_secret: str | SecretStr,
        *, scope: str = "openid microprofile-jwt", **kwargs: Any,
    ) -> None:
        super().__init__(client_id, client_secret, **kwargs)
        self.url = join(host, f"/auth/realms/{quote(realm, safe='')}/protocol/openid-connect/token")
        self.scope = scope

    def _form(self) -> dict[str, str]:
        return {
            "grant_type": "client_credentials",
            "client_id": self.client_id,
            "client_secret": self.client_secret.get_secret_value(),
            "scope": self.scope,
        }
