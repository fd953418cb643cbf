"""One pooled requests.Session per client, and `send()`: auth, hooks, classification, retries.

A 401 invalidates exactly the token that was refused and the request is tried once more; a second
401 raises AuthenticationError. Redirects are never followed automatically (Basware's pre-signed
links must not receive our Authorization header); the caller follows them with `external=True`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import requests
from pydantic import SecretStr
from requests.adapters import HTTPAdapter
from requests.auth import AuthBase

from ml_connector.http import errors
from ml_connector.http.auth import BearerAuth, bearer_token_of
from ml_connector.http.classify import Action, Overrides, classify
from ml_connector.http.environment import EnvironmentOnceSession
from ml_connector.http.raising import DEFAULT_CODE_ERRORS, error_for_exception, error_for_response
from ml_connector.http.request_ids import response_request_id
from ml_connector.http.retry import RetryPolicy, parse_retry_after
from ml_connector.http.throttle import Throttle
from ml_connector.http.tokens import TokenManager
from ml_connector.http.urls import join, path_of

log = logging.getLogger(__name__)

RequestHook = Callable[[requests.PreparedRequest], None]
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
# Headers we send to links outside the API (pre-signed storage URLs): nothing that identifies us.
EXTERNAL_HEADERS: Mapping[str, str] = {"Accept": "application/json", "User-Agent": "ml-connector"}


class _NoAuth(AuthBase):
    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
        return r


_NO_NETRC = _NoAuth()


class _TokenRejected(errors.AuthenticationError):
    """Internal: a 401 on an authenticated call; `send` refreshes and tries once more."""

    def __init__(self, response: requests.Response) -> None:
        super().__init__("401 Unauthorized", status=401)
        self.response = response
        token = bearer_token_of(response.request)
        # SecretStr: this object's vars() must not show the token (tracebacks, error reporters).
        self.token = SecretStr(token) if token else None


class ApiSession:
    def __init__(
        self,
        base_url: str,
        *,
        tokens: TokenManager | None = None,
        retry: RetryPolicy | None = None,
        timeout: float | tuple[float, float] = (5.0, 60.0),
        headers: Mapping[str, str] | None = None,
        request_hooks: Sequence[RequestHook] = (),
        request_id_header: str | None = None,
        overrides: Overrides | None = None,
        replay_safe_methods: frozenset[str] = IDEMPOTENT_METHODS,
        code_errors: Mapping[str, type[errors.MlConnectorError]] = DEFAULT_CODE_ERRORS,
        pool_maxsize: int = 10,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] | None = None,
        name: str = "api",
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.tokens = tokens
        self.retry = retry or RetryPolicy()
        self.timeout = timeout
        self.headers = dict(headers or {})
        self.request_hooks = list(request_hooks)
        self.request_id_header = request_id_header
        self.overrides = dict(overrides or {})
        self.replay_safe_methods = replay_safe_methods
        self.code_errors = code_errors
        self.name = name
        self._auth = BearerAuth(tokens) if tokens is not None else None
        self._sleep = sleep
        # Set per tenant (TenantContext): requests in flight for this system, shared by its workers.
        self.throttle: Throttle | None = None
        self.http = session or EnvironmentOnceSession()
        adapter = HTTPAdapter(pool_connections=4, pool_maxsize=pool_maxsize)
        self.http.mount("https://", adapter)
        self.http.mount("http://", adapter)

    def __repr__(self) -> str:
        return f"ApiSession(name={self.name!r}, base_url={self.base_url!r})"

    def __enter__(self) -> ApiSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.http.close()

    def url(self, path: str) -> str:
        return join(self.base_url, path)

    def send(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | str | None = None,
        json: Any = None,
        data: bytes | str | Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        overrides: Overrides | None = None,
        replay_safe: bool | None = None,
        record_id: str | None = None,
        external: bool = False,
    ) -> requests.Response:
        """Send one logical request (retried as policy allows); return the response on success.

        `external=True` is for links outside the API: no credentials, no API headers, no hooks.
        """
        method = method.upper()
        merged_headers = dict(EXTERNAL_HEADERS) if external else {**self.headers, **(headers or {})}
        request = requests.Request(
            method, self.url(path), params=params, json=json, data=data, headers=merged_headers
        )
        opts = {
            "overrides": {**self.overrides, **(overrides or {})},
            "replay_safe": method in self.replay_safe_methods if replay_safe is None else replay_safe,
            "record_id": record_id,
            "external": external,
        }
        retrying = self.retry.retrying(sleep=self._sleep, logger=log)
        try:
            return retrying(self._attempt, request, **opts)
        except _TokenRejected as first:
            assert self.tokens is not None  # _TokenRejected is raised only when we hold tokens
            self.tokens.invalidate(first.token.get_secret_value() if first.token else None)
            log.warning("%s %s answered 401; token refreshed, trying once more", method, path_of(request.url))
        try:
            return retrying(self._attempt, request, **opts)
        except _TokenRejected as second:
            rejected = second
        # Raised outside the handler so the error does not carry the internal one as its context.
        raise errors.AuthenticationError.from_response(
            rejected.response, f"{self.name}: 401 again after a token refresh; check the credentials"
        )

    def _prepare(self, request: requests.Request, external: bool) -> requests.PreparedRequest:
        if external:
            # Not session.prepare_request: no cookies, no netrc, no session headers, no auth.
            return request.prepare()
        # An auth object of our own (a no-op: the bearer token is set below), so that requests does not
        # look for a ~/.netrc entry on every request (file stats per call), nor ever sends one.
        request.auth = _NO_NETRC
        prepared = self.http.prepare_request(request)
        if self._auth is not None:
            self._auth(prepared)  # per attempt, so a retry picks up a refreshed token
        for hook in self.request_hooks:
            hook(prepared)
        return prepared

    def _send_throttled(self, prepared: requests.PreparedRequest, external: bool) -> requests.Response:
        throttle = None if external else self.throttle
        if throttle is None:
            return self.http.send(prepared, timeout=self.timeout, allow_redirects=False)
        with throttle.slot():
            resp = self.http.send(prepared, timeout=self.timeout, allow_redirects=False)
        if resp.status_code == 429:
            throttle.rate_limited(parse_retry_after(resp.headers.get("Retry-After")))
        elif resp.status_code < 400:
            throttle.succeeded()
        return resp

    def _attempt(
        self,
        request: requests.Request,
        *,
        overrides: Overrides,
        replay_safe: bool,
        record_id: str | None,
        external: bool,
    ) -> requests.Response:
        prepared = self._prepare(request, external)
        method, url = prepared.method or request.method, prepared.url or request.url
        client_id = prepared.headers.get(self.request_id_header) if self.request_id_header else None
        started = time.monotonic()
        try:
            resp = self._send_throttled(prepared, external)
        except requests.RequestException as exc:
            action = classify(exc, overrides)
            log.warning(
                "%s %s failed (%s) client_request_id=%s", method, path_of(url), type(exc).__name__, client_id
            )
            # `from None`: the requests message can include a pre-signed URL with its signature.
            raise error_for_exception(
                action, exc, method=method, url=url, replay_safe=replay_safe, client_request_id=client_id
            ) from None
        action = classify(resp, overrides)
        # One line per request would bury a task log's business lines: successes only at DEBUG.
        log.log(
            logging.DEBUG if action in (Action.SUCCESS, Action.IGNORE) else logging.INFO,
            "%s %s -> %s in %.0f ms client_request_id=%s request_id=%s",
            method, path_of(url), resp.status_code, (time.monotonic() - started) * 1000,
            client_id, response_request_id(resp),
        )
        if action in (Action.SUCCESS, Action.IGNORE):
            return resp
        if action is Action.REFRESH_TOKEN and not external and self.tokens is not None:
            raise _TokenRejected(resp)
        raise error_for_response(
            action,
            resp,
            replay_safe=replay_safe,
            record_id=record_id,
            client_request_id=client_id,
            code_errors=self.code_errors,
        )
