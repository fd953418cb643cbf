"""Asynchronous request status: business errors Basware finds after it answered a POST with 200."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from ml_connector.basware.models import RequestStatus
from ml_connector.basware.transport import EMPTY, JSON, BaswareTransport, items, json_body, seg
from ml_connector.http.classify import Action

log = logging.getLogger(__name__)

LIST_KEY = "requestStatus"  # both GETs wrap their answer: {"requestStatus": [...]}


class RequestStatuses:
    def __init__(self, transport: BaswareTransport) -> None:
        self._t = transport

    def get(self, request_id: str) -> RequestStatus | None:
        """The fate of one POST; None while Basware does not know the request yet (404)."""
        path = f"/v1/requestStatus/{seg(request_id)}"
        resp = self._t.api.send("GET", path, overrides=EMPTY)
        if resp.status_code == 404:
            return None
        entries = items(json_body(resp), LIST_KEY, path)
        return RequestStatus.model_validate(entries[0]) if entries else None

    def iter_errors(
        self, status: str = "Error", entity_type: str | None = None, page_size: int = 500
    ) -> Iterator[RequestStatus]:
        """Requests whose business errors arrived after the 200 (not yet acknowledged)."""
        params: dict[str, Any] = {"status": status, "pageSize": page_size}
        if entity_type:
            params["entityType"] = entity_type
        for item in self._t.iter_list("/v1/requestStatus", params, LIST_KEY):
            yield RequestStatus.model_validate(item)

    def acknowledge_errors(self, request_ids: Sequence[str]) -> None:
        """Mark read errors so they are not offered again (405 = already acknowledged: fine)."""
        if request_ids:
            self._t.api.send("POST", "/v1/requestStatus/acknowledge", json={"requestIds": list(request_ids)},
                             headers=JSON, overrides={405: Action.IGNORE})

    def wait(
        self,
        request_ids: Iterable[str],
        *,
        timeout: float = 300.0,
        poll_interval: float = 10.0,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> dict[str, RequestStatus | None]:
        """Poll until every request has a final status or `timeout` passes; returns the last seen."""
        latest: dict[str, RequestStatus | None] = dict.fromkeys(request_ids)
        deadline = clock() + timeout
        while True:
            for rid, seen in latest.items():
                if seen is None or not seen.is_final:
                    latest[rid] = self.get(rid)
            pending = [rid for rid, s in latest.items() if s is None or not s.is_final]
            if not pending or clock() + poll_interval > deadline:
                if pending:
                    log.warning("%d Basware request(s) still not final after %.0fs", len(pending), timeout)
                return latest
            sleep(poll_interval)
