"""ETag-guarded writes: create, and update/delete that read the row first and send its ETag.

Every PATCH/DELETE first reads the entity by key and sends `If-Match` with the ETag it got; a 412
means someone changed the row in between, so the row is read again and the change re-applied
(bounded, with backoff). `If-Match: *` is never sent.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from ml_connector.http.classify import Action
from ml_connector.http.errors import ConflictError, NotFoundError, PreconditionRequiredError, ProtocolError
from ml_connector.http.retry import RetryPolicy
from ml_connector.http.session import ApiSession
from ml_connector.ifs.entities import etag_of, strip_system_fields
from ml_connector.ifs.odata import entity_path
from ml_connector.ifs.reads import EntityReads
from ml_connector.ifs.wire import JSON_HEADERS, Keys, encode, json_object, projection_path

log = logging.getLogger(__name__)

# A change is a dict of new values, or a function of the current entity returning one (None = no-op).
Change = Mapping[str, Any] | Callable[[dict[str, Any]], Mapping[str, Any] | None]
_MISSING = object()


class EntityWrites:
    def __init__(
        self, api: ApiSession, reads: EntityReads, conflict_retry: RetryPolicy,
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        self._api = api
        self._reads = reads
        self.conflict_retry = conflict_retry
        self._sleep = sleep

    def create(
        self, projection: str, entity_set: str, body: Mapping[str, Any], *,
        keys: Keys | None = None, navigation: str | None = None,
    ) -> tuple[dict[str, Any], str | None]:
        """POST a new row (to a set, or to `Set(keys)/navigation`); IFS answers 201 with the row."""
        resp = self._api.send(
            "POST", projection_path(projection, entity_set, keys, navigation),
            data=encode(strip_system_fields(body)), headers=JSON_HEADERS,
        )
        if resp.status_code != 201:
            raise ProtocolError.from_response(
                resp, f"create in {entity_set} answered {resp.status_code}, not 201"
            )
        entity = json_object(resp)
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
        entity, etag = self._reads.get(projection, entity_set, keys)
        wanted = change(dict(entity)) if callable(change) else change
        if wanted is None:
            return entity, etag
        body = {k: v for k, v in strip_system_fields(wanted).items() if entity.get(k, _MISSING) != v}
        if not body:
            log.debug("%s already up to date", label)
            return entity, etag
        resp = self._api.send(
            "PATCH", projection_path(projection, entity_set, keys), data=encode(body),
            headers={**JSON_HEADERS, "If-Match": _require_etag(etag, label),
                     "Prefer": "return=representation"},
            record_id=label,
        )
        if resp.content:
            updated = json_object(resp)
            return updated, etag_of(updated, resp)
        # 204 anyway: our merge, without the old row's ETag and version (they would be stale).
        new_etag = etag_of(None, resp)
        stale = ("@odata.etag", "objversion")
        merged = {k: v for k, v in {**entity, **body}.items() if k.lower() not in stale}
        return ({**merged, "@odata.etag": new_etag} if new_etag else merged), new_etag

    def _delete_once(self, projection: str, entity_set: str, keys: Keys, label: str) -> bool:
        try:
            _entity, etag = self._reads.get(projection, entity_set, keys)
        except NotFoundError:
            return False
        resp = self._api.send(
            "DELETE", projection_path(projection, entity_set, keys),
            headers={"If-Match": _require_etag(etag, label)}, overrides={404: Action.IGNORE}, record_id=label,
        )
        return resp.status_code != 404


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
