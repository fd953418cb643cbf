"""IFS Cloud OData client: one session and token, and an object per kind of call.

    client.reads      iter (paged), iter_modified_since, get (entity and ETag)
    client.writes     create, update and delete guarded by the row's ETag (412: re-read, re-apply)
    client.batch      change_set: requests in one atomic $batch change set; get_all: GETs in one $batch
    client.read_all   many reads of one projection in few round trips (ml_connector.ifs.many)
    client.history    iter: the history log of one logical unit
    client.fields     the tenant's IFS names (ml_connector.field_map)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import requests
from pydantic import SecretStr

from ml_connector.field_map import IfsFieldMap, default_field_map
from ml_connector.http.environment import EnvironmentOnceSession
from ml_connector.http.retry import RetryPolicy
from ml_connector.http.session import ApiSession
from ml_connector.http.token_managers import ifs_token_manager
from ml_connector.http.tokens import TokenManager
from ml_connector.ifs.batch import EntityBatch
from ml_connector.ifs.history import HistoryLog
from ml_connector.ifs.many import Read, read_all
from ml_connector.ifs.reads import EntityReads
from ml_connector.ifs.writes import EntityWrites


class IfsClient:
    def __init__(
        self,
        host: str,
        realm: str,
        client_id: str,
        client_secret: str | SecretStr,
        *,
        api_segment: str = "main",
        fields: IfsFieldMap | None = None,
        timeout: float | tuple[float, float] = (5.0, 60.0),
        retry: RetryPolicy | None = None,
        conflict_retry: RetryPolicy | None = None,
        token_manager: TokenManager | None = None,
        share_tokens: bool = False,
        max_page_size: int | None = None,
        sleep: Callable[[float], None] | None = None,
        session: requests.Session | None = None,
    ) -> None:
        """`fields`: the tenant's IFS names (default: the `ifs-cloud` profile).
        `share_tokens=True`: one token manager per credential set per process (see token_managers)."""
        self.host = host.rstrip("/")
        self.fields = fields or default_field_map()
        http = session or EnvironmentOnceSession()
        retry = retry or RetryPolicy()
        self.tokens = token_manager or ifs_token_manager(
            self.host, realm, client_id, client_secret, shared=share_tokens, session=http, retry=retry
        )
        headers = {"Accept": "application/json", "X-Ifs-Time-Zone-Aware-Request": "true"}
        if max_page_size:
            headers["Prefer"] = f"odata.maxpagesize={int(max_page_size)}"
        self.api = ApiSession(
            f"{self.host}/{api_segment.strip('/')}/ifsapplications/projection/v1",
            tokens=self.tokens,
            retry=retry,
            timeout=timeout,
            headers=headers,
            # PATCH/DELETE carry If-Match: a resend after an unseen success gets 412, then a re-read.
            # POST is left out: a resent create could make a second proposal.
            replay_safe_methods=frozenset({"GET", "HEAD", "OPTIONS", "PUT", "PATCH", "DELETE"}),
            session=http,
            sleep=sleep,
            name="ifs",
        )
        self.reads = EntityReads(self.api, self.host)
        self.writes = EntityWrites(self.api, self.reads, conflict_retry or RetryPolicy(
            max_attempts=5, max_total_seconds=60.0, initial_wait=0.2, max_wait=5.0, jitter=0.2
        ), sleep)
        self.batch = EntityBatch(self.api)
        self.history = HistoryLog(self.reads, self.fields.history_log)

    def read_all(self, projection: str, wanted: Sequence[Read], *, use_batch: bool = True,
                 ) -> list[list[dict[str, Any]]]:
        """The rows of each read, in order; `use_batch=False` for gateways without $batch."""
        return read_all(self.reads, self.batch, projection, wanted, use_batch=use_batch)

    def __repr__(self) -> str:
        return f"IfsClient(base_url={self.api.base_url!r})"

    def close(self) -> None:
        self.api.close()

    def __enter__(self) -> IfsClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
