"""IFS Cloud OData client: paged reads, and mutations guarded by the entity's current ETag.

Every PATCH/DELETE first reads the entity by key and sends `If-Match` with the ETag it got; a 412
means someone changed the row in between, so the row is read again and the change re-applied
(bounded, with backoff). `If-Match: *` is never sent.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import requests
from pydantic import SecretStr

from ml_connector.http.classify import Action
from ml_connector.http.errors import ConflictError, NotFoundError, PreconditionRequiredError, ProtocolError
from ml_connector.http.paging import ODataNextLinkPager, PageRequest, Pager, TopSkipPager, paginate
from ml_connector.http.retry import RetryPolicy
from ml_connector.http.session import ApiSession
from ml_connector.http.tokens import KeycloakTokenSource, TokenManager
from ml_connector.ifs.config import IfsEntities
from ml_connector.ifs.entities import etag_of, strip_system_fields
from ml_connector.ifs.odata import F, Query, datetime_literal, encode_query, entity_path

log = logging.getLogger(__name__)

Keys = Mapping[str, Any]
# A change is a dict of new values, or a function of the current entity returning one (None = no-op).
Change = Mapping[str, Any] | Callable[[dict[str, Any]], Mapping[str, Any] | None]
_PROJECTION = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_MISSING = object()
JSON_HEADERS = {"Content-Type": "application/json", "Accept": "application/json"}


class IfsClient:
    def __init__(
        self,
        host: str,
        realm: str,
        client_id: str,
        client_secret: str | SecretStr,
        *,
        api_segment: str = "main",
        entities: IfsEntities | None = None,
        timeout: float | tuple[float, float] = (5.0, 60.0),
        retry: RetryPolicy | None = None,
        conflict_retry: RetryPolicy | None = None,
        token_manager: TokenManager | None = None,
        max_page_size: int | None = None,
        sleep: Callable[[float], None] | None = None,
        session: requests.Session | None = None,
    ) -> None:
        self.host = host.rstrip("/")
        self.entities = entities or IfsEntities()
        http = session or requests.Session()
        retry = retry or RetryPolicy()
        self.tokens = token_manager or TokenManager(
            KeycloakTokenSource(self.host, realm, client_id, client_secret, session=http, retry=retry),
            name=f"ifs:{realm}:{client_id}",
        )
        self.conflict_retry = conflict_retry or RetryPolicy(
            max_attempts=5, max_total_seconds=60.0, initial_wait=0.2, max_wait=5.0, jitter=0.2
        )
        headers = {"Accept": "application/json", "X-Ifs-Time-Zone-Aware-Request": "true"}
        if max_page_size:
            headers["Prefer"] = f"odata.maxpagesize={int(max_page_size)}"
        self._sleep = sleep
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

    def __repr__(self) -> str:
        return f"IfsClient(base_url={self.api.base_url!r})"

    def close(self) -> None:
        self.api.close()

    def __enter__(self) -> IfsClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @staticmethod
    def path(
        projection: str, entity_set: str, keys: Keys | None = None, navigation: str | None = None
    ) -> str:
        if not _PROJECTION.match(projection):
            raise ValueError(f"not a projection name: {projection!r}")
        return f"/{projection}.svc/{entity_path(entity_set, keys, navigation)}"

    # --- reads ----------------------------------------------------------------------------------

    def iter_entities(
        self,
        projection: str,
        entity_set: str,
        query: Query | None = None,
        *,
        keys: Keys | None = None,
        navigation: str | None = None,
        client_paging: bool = False,
        page_size: int = 1000,
    ) -> Iterator[dict[str, Any]]:
        """Rows of a set (or of `Set(keys)/navigation`), following @odata.nextLink.

        `client_paging=True` pages with $top/$skip instead; the query must have a stable $orderby.
        """
        query = query or Query()
        pager: Pager
        if client_paging:
            pager = TopSkipPager(page_size, start=query.skip or 0)
            query = replace(query, top=None, skip=None)
        else:
            pager = ODataNextLinkPager(allowed_origin=self.host)
        first = PageRequest(self.path(projection, entity_set, keys, navigation), query.params())
        for _resp, payload in paginate(self._fetch_page, pager, first):
            rows = payload.get("value") if isinstance(payload, dict) else None
            if not isinstance(rows, list):
                raise ProtocolError(f"collection answer without a value array from {entity_set}")
            yield from rows

    def iter_modified_since(
        self,
        projection: str,
        entity_set: str,
        column: str,
        since: datetime,
        query: Query | None = None,
        *,
        client_paging: bool = False,
        page_size: int = 1000,
    ) -> Iterator[dict[str, Any]]:
        """Rows whose `column` is after `since` (incremental read; the column is per entity set)."""
        query = (query or Query()).where(F(column).gt(since))
        if client_paging and not query.orderby:
            query = replace(query, orderby=(column,))
        yield from self.iter_entities(projection, entity_set, query, client_paging=client_paging,
                                      page_size=page_size)

    def iter_history(self, lu_name: str, since: datetime) -> Iterator[dict[str, Any]]:
        """History-log entries of one logical unit written after `since`, oldest first, each with its
        key columns parsed from IFS's keyref (`COMPANY=10^INVOICE_ID=1^`) under "key"."""
        log_set = self.entities.history_log
        column = log_set.modified_column or "TimeStamp"
        query = Query(filter=F("LuName").eq(lu_name), orderby=(column, "LogId"))
        for entry in self.iter_modified_since(log_set.projection, log_set.entity_set, column, since, query):
            yield {**entry, "key": parse_keyref(str(entry.get("Keys") or ""))}

    def get_entity(
        self, projection: str, entity_set: str, keys: Keys, *, select: tuple[str, ...] = ()
    ) -> tuple[dict[str, Any], str | None]:
        """(entity, etag); NotFoundError when there is no such row."""
        params = Query(select=select).params()
        path = self.path(projection, entity_set, keys)
        resp = self.api.send("GET", path, params=encode_query(params) or None)
        entity = _json_object(resp)
        return entity, etag_of(entity, resp)

    # --- mutations ------------------------------------------------------------------------------

    def create(
        self, projection: str, entity_set: str, body: Mapping[str, Any], *,
        keys: Keys | None = None, navigation: str | None = None,
    ) -> tuple[dict[str, Any], str | None]:
        """POST a new row (to a set, or to `Set(keys)/navigation`); IFS answers 201 with the row."""
        resp = self.api.send(
            "POST", self.path(projection, entity_set, keys, navigation),
            data=_encode(strip_system_fields(body)), headers=JSON_HEADERS,
        )
        if resp.status_code != 201:
            raise ProtocolError.from_response(
                resp, f"create in {entity_set} answered {resp.status_code}, not 201"
            )
        entity = _json_object(resp)
        return entity, etag_of(entity, resp)

    def update(
        self, projection: str, entity_set: str, keys: Keys, change: Change
    ) -> tuple[dict[str, Any], str | None]:
        """Read, apply `change`, PATCH with If-Match; on 412 read again and re-apply (bounded).

        Only fields whose value differs from the current row are sent; no difference, no PATCH.
        """
        label = f"{projection}.svc/{entity_path(entity_set, keys)}"
        try:
            return self.conflict_retry.retrying(retry_on=(ConflictError,), sleep=self._sleep, logger=log)(
                self._update_once, projection, entity_set, keys, change, label
            )
        except ConflictError as exc:
            raise _gave_up(exc, label, self.conflict_retry.max_attempts) from None

    def delete(self, projection: str, entity_set: str, keys: Keys) -> bool:
        """Delete with If-Match; False when the row was already gone."""
        label = f"{projection}.svc/{entity_path(entity_set, keys)}"
        try:
            return self.conflict_retry.retrying(retry_on=(ConflictError,), sleep=self._sleep, logger=log)(
                self._delete_once, projection, entity_set, keys, label
            )
        except ConflictError as exc:
            raise _gave_up(exc, label, self.conflict_retry.max_attempts) from None

    def _update_once(
        self, projection: str, entity_set: str, keys: Keys, change: Change, label: str
    ) -> tuple[dict[str, Any], str | None]:
        entity, etag = self.get_entity(projection, entity_set, keys)
        wanted = change(dict(entity)) if callable(change) else change
        if wanted is None:
            return entity, etag
        body = {k: v for k, v in strip_system_fields(wanted).items() if entity.get(k, _MISSING) != v}
        if not body:
            log.debug("%s already up to date", label)
            return entity, etag
        resp = self.api.send(
            "PATCH", self.path(projection, entity_set, keys), data=_encode(body),
            headers={**JSON_HEADERS, "If-Match": _require_etag(etag, label),
                     "Prefer": "return=representation"},
            record_id=label,
        )
        if resp.content:
            updated = _json_object(resp)
            return updated, etag_of(updated, resp)
        # 204 anyway: our merge, without the old row's ETag and version (they would be stale).
        new_etag = etag_of(None, resp)
        stale = ("@odata.etag", "objversion")
        merged = {k: v for k, v in {**entity, **body}.items() if k.lower() not in stale}
        return ({**merged, "@odata.etag": new_etag} if new_etag else merged), new_etag

    def _delete_once(self, projection: str, entity_set: str, keys: Keys, label: str) -> bool:
        try:
            _entity, etag = self.get_entity(projection, entity_set, keys)
        except NotFoundError:
            return False
        resp = self.api.send(
            "DELETE", self.path(projection, entity_set, keys),
            headers={"If-Match": _require_etag(etag, label)}, overrides={404: Action.IGNORE}, record_id=label,
        )
        return resp.status_code != 404

    def _fetch_page(self, req: PageRequest) -> tuple[requests.Response, Any]:
        resp = self.api.send("GET", req.url, params=encode_query(req.params) or None, headers=req.headers)
        return resp, _json_object(resp)


def _require_etag(etag: str | None, label: str) -> str:
    if not etag:  # never fall back to If-Match: *
        raise PreconditionRequiredError(f"{label} came without an ETag; refusing an unguarded mutation")
    return etag


def _gave_up(exc: ConflictError, label: str, attempts: int) -> ConflictError:
    return ConflictError(
        f"{label} kept changing while we updated it; gave up after {attempts} attempts",
        entity=label, status=exc.status, method=exc.method, path=exc.path,
        request_id=exc.request_id, code=exc.code, api_message=exc.api_message,
    )


def _json_object(resp: requests.Response) -> dict[str, Any]:
    try:
        body = resp.json()
    except ValueError:
        raise ProtocolError.from_response(resp, "expected a JSON object") from None
    if not isinstance(body, dict):
        raise ProtocolError.from_response(resp, "expected a JSON object")
    return body


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, datetime):
        return datetime_literal(value)
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"cannot send {type(value).__name__} to IFS")


def _encode(body: Mapping[str, Any]) -> bytes:
    return json.dumps(body, default=_json_default, ensure_ascii=False).encode("utf-8")


def parse_keyref(keyref: str) -> dict[str, str]:
    """IFS keyref `COMPANY=10^INVOICE_ID=1^` -> {"COMPANY": "10", "INVOICE_ID": "1"}."""
    pairs = (part.split("=", 1) for part in keyref.split("^") if "=" in part)
    return {name: value for name, value in pairs}
