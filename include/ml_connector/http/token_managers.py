"""The one place a token manager is built, for a credential set of either system.

`shared=True` hands every client of that credential set in this process the same manager, so all of
a tenant's task threads use one token. A shared manager outlives the client that asked first, so it
keeps its own session and the default retry policy; an unshared one rides on its client's.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import requests
from pydantic import SecretStr

from ml_connector.http.retry import RetryPolicy
from ml_connector.http.token_seal import TokenSeal
from ml_connector.http.tokens import (
    BaswareTokenSource,
    KeycloakTokenSource,
    TokenManager,
    credential_key,
    shared_token_manager,
)

BASWARE_REQUEST_ID_HEADER = "X-BW-REQUEST-ID"


def basware_token_manager(
    base_url: str,
    client_id: str,
    client_secret: str | SecretStr,
    scopes: Sequence[str] | str,
    *,
    request_id_header: str = BASWARE_REQUEST_ID_HEADER,
    shared: bool = False,
    session: requests.Session | None = None,
    retry: RetryPolicy | None = None,
) -> TokenManager:
    source = BaswareTokenSource(base_url, client_id, client_secret, scopes,
                                request_id_header=request_id_header, **_transport(shared, session, retry))
    return _manager(source, f"basware:{client_id}", shared)


def ifs_token_manager(
    host: str,
    realm: str,
    client_id: str,
    client_secret: str | SecretStr,
    *,
    shared: bool = False,
    session: requests.Session | None = None,
    retry: RetryPolicy | None = None,
) -> TokenManager:
    source = KeycloakTokenSource(host, realm, client_id, client_secret, **_transport(shared, session, retry))
    return _manager(source, f"ifs:{realm}:{client_id}", shared)


def _transport(shared: bool, session: requests.Session | None, retry: RetryPolicy | None) -> dict[str, Any]:
    return {} if shared else {"session": session, "retry": retry}


def _manager(source: BaswareTokenSource | KeycloakTokenSource, name: str, shared: bool) -> TokenManager:
    # Every manager can seal its token for a cache; only those given one (share_through) use it.
    seal = TokenSeal(source.client_secret, token_url=source.url, client_id=source.client_id, scope=source.scope)
    if not shared:
        return TokenManager(source, name=name, seal=seal)
    key = credential_key(source.url, source.client_id, source.client_secret, source.scope)
    return shared_token_manager(key, lambda: TokenManager(source, name=name, seal=seal))
