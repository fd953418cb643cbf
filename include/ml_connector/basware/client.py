"""Basware P2P API client: one session and token, and an object per resource.

    client.documents         accounting documents: iter, get, acknowledge, transfer_response
    client.vendors           upsert, patch, iter
    client.master_data       upsert_accounts, upsert_cost_centers, upsert_list, iter_list
    client.request_status    get, iter_errors, acknowledge_errors, wait
    client.subscriptions     create, existing, delete (webhooks), list_tasks, get_task

Shapes follow Basware's published OpenAPI files (tests/unit/basware/test_basware_spec.py checks them).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import requests
from pydantic import SecretStr

from ml_connector.basware.chunking import MAX_REQUEST_BYTES
from ml_connector.basware.documents import Documents
from ml_connector.basware.master_data import MasterData
from ml_connector.basware.request_status import RequestStatuses
from ml_connector.basware.subscriptions import Subscriptions
from ml_connector.basware.transport import BaswareTransport
from ml_connector.basware.vendors import Vendors
from ml_connector.http.environment import EnvironmentOnceSession
from ml_connector.http.request_ids import RequestIdHeader
from ml_connector.http.retry import RetryPolicy
from ml_connector.http.session import ApiSession
from ml_connector.http.token_managers import BASWARE_REQUEST_ID_HEADER, basware_token_manager
from ml_connector.http.tokens import TokenManager

DEFAULT_SCOPES = (
    "accountingDocuments.read accountingDocuments.write vendors.read vendors.write accounts.write "
    "costCenters.write lists.read lists.write requestStatus.read requestStatus.write subscriptions.write tasks.read"
)


class BaswareClient:
    def __init__(
        self,
        base_url: str,
        client_id: str,
        client_secret: str | SecretStr,
        scopes: Sequence[str] | str = DEFAULT_SCOPES,
        *,
        request_id_header: str = BASWARE_REQUEST_ID_HEADER,
        timeout: float | tuple[float, float] = (5.0, 60.0),
        retry: RetryPolicy | None = None,
        token_manager: TokenManager | None = None,
        share_tokens: bool = False,
        max_request_bytes: int = MAX_REQUEST_BYTES,
        sleep: Callable[[float], None] | None = None,
        session: requests.Session | None = None,
    ) -> None:
        """`share_tokens=True`: one token manager per credential set per process (see token_managers)."""
        http = session or EnvironmentOnceSession()
        retry = retry or RetryPolicy()
        self.tokens = token_manager or basware_token_manager(
            base_url, client_id, client_secret, scopes, request_id_header=request_id_header,
            shared=share_tokens, session=http, retry=retry,
        )
        self.api = ApiSession(
            base_url,
            tokens=self.tokens,
            retry=retry,
            timeout=timeout,
            headers={"Accept": "application/json"},
            request_hooks=[RequestIdHeader(request_id_header)],
            request_id_header=request_id_header,
            # Master-data POSTs overwrite by key and a second acknowledge answers 405, so resending
            # after an ambiguous failure is safe; transferResponses and subscriptions opt out.
            replay_safe_methods=frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE", "POST", "PATCH"}),
            session=http,
            sleep=sleep,
            name="basware",
        )
        transport = BaswareTransport(self.api, max_request_bytes)
        self.documents = Documents(transport)
        self.vendors = Vendors(transport)
        self.master_data = MasterData(transport)
        self.request_status = RequestStatuses(transport)
        self.subscriptions = Subscriptions(transport)

    def __repr__(self) -> str:
        return f"BaswareClient(base_url={self.api.base_url!r})"

    def close(self) -> None:
        self.api.close()

    def __enter__(self) -> BaswareClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
