"""`$batch` (OData 4.0, multipart/mixed): one atomic change set, or many reads in one round trip.

A change set's requests run in order, all or none.

Inside a change set `$<n>` at the start of a URL stands for the entity request n created, so a header
and its rows go in one round trip. A failed part rolls the whole change set back and is the only
answer: it is raised like the same answer to a plain request. The $batch POST itself is never resent
(a resent create could make a second proposal): a lost answer is an OutcomeUnknownError.
Reads (`get_all`) go as top-level GET parts (a change set cannot hold GETs): resending them is safe.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import requests

from ml_connector.http.classify import Action, classify
from ml_connector.http.errors import ProtocolError
from ml_connector.http.raising import error_for_response
from ml_connector.http.session import ApiSession
from ml_connector.ifs.entities import strip_system_fields
from ml_connector.ifs.wire import encode

CRLF = "\r\n"


@dataclass(frozen=True)
class BatchPart:
    """One request of a change set; `url` is relative to the projection (`Set`, `$1/Nav`)."""

    method: str
    url: str
    body: Mapping[str, Any] | None = None
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class PartAnswer:
    status: int
    headers: Mapping[str, str]  # lower-case names
    body: dict[str, Any] | None


class EntityBatch:
    def __init__(self, api: ApiSession) -> None:
        self._api = api

    def change_set(self, projection: str, parts: Sequence[BatchPart], *, record_id: str | None = None,
                   ) -> list[PartAnswer]:
        """Send `parts` as one change set; their answers in order, or the failed part's error."""
        body, content_type = _encode(parts)
        resp = self._api.send("POST", f"/{projection}.svc/$batch", data=body, record_id=record_id,
                              headers={"Content-Type": content_type, "Accept": "multipart/mixed"},
                              replay_safe=False)
        answers = _decode(resp)
        if len(answers) == 1 and answers[0].status >= 400:
            raise _error_of(answers[0], resp, record_id)
        if len(answers) != len(parts):
            raise ProtocolError.from_response(resp, f"$batch answered {len(answers)} parts for {len(parts)}")
        return answers

    def get_all(self, projection: str, urls: Sequence[str]) -> list[PartAnswer]:
        """GET each of `urls` (relative to the projection: `Set?$filter=...`) in one $batch request; their
        answers in order. A failed read is raised like the same answer to a plain GET."""
        outer = f"batch_{uuid.uuid4()}"
        chunks = [f"--{outer}{CRLF}Content-Type: application/http{CRLF}Content-Transfer-Encoding: binary{CRLF}"
                  f"{CRLF}GET {url} HTTP/1.1{CRLF}Accept: application/json{CRLF}{CRLF}{CRLF}" for url in urls]
        body = ("".join(chunks) + f"--{outer}--{CRLF}").encode()
        resp = self._api.send("POST", f"/{projection}.svc/$batch", data=body, replay_safe=True,
                              headers={"Content-Type": f"multipart/mixed; boundary={outer}",
                                       "Accept": "multipart/mixed"})
        answers = [_answer(item, resp) for item in _items(resp)]
        failed = next((a for a in answers if a.status >= 400), None)
        if failed is not None:  # without continue-on-error the batch stopped at it
            raise _error_of(failed, resp, None, replay_safe=True)
        if len(answers) != len(urls):
            raise ProtocolError.from_response(resp, f"$batch answered {len(answers)} reads for {len(urls)}")
        return answers


def _encode(parts: Sequence[BatchPart]) -> tuple[bytes, str]:
    outer, inner = f"batch_{uuid.uuid4()}", f"changeset_{uuid.uuid4()}"
    chunks = []
    for n, part in enumerate(parts, start=1):
        lines = [f"{part.method} {part.url} HTTP/1.1", *(f"{k}: {v}" for k, v in part.headers.items())]
        payload = b""
        if part.body is not None:
            lines.append("Content-Type: application/json")
            payload = encode(strip_system_fields(part.body))
        head = (f"Content-Type: application/http{CRLF}Content-Transfer-Encoding: binary{CRLF}"
                f"Content-ID: {n}{CRLF}{CRLF}" + CRLF.join(lines) + CRLF + CRLF)
        chunks.append(f"--{inner}{CRLF}".encode() + head.encode() + payload + CRLF.encode())
    change_set = (f"Content-Type: multipart/mixed; boundary={inner}{CRLF}{CRLF}".encode()
                  + b"".join(chunks) + f"--{inner}--{CRLF}".encode())
    body = f"--{outer}{CRLF}".encode() + change_set + f"{CRLF}--{outer}--{CRLF}".encode()
    return body, f"multipart/mixed; boundary={outer}"


@dataclass(frozen=True)
class _Part:
    headers: Mapping[str, str]  # lower-case names
    content: bytes


def _items(resp: requests.Response) -> list[_Part]:
    """The top-level parts of a $batch answer."""
    parts = _multipart(resp.headers.get("Content-Type", ""), resp.content)
    if parts is None:
        raise ProtocolError.from_response(resp, "$batch answered without a readable multipart/mixed body")
    return parts


def _decode(resp: requests.Response) -> list[PartAnswer]:
    items = _items(resp)
    if len(items) != 1:
        raise ProtocolError.from_response(resp, "$batch answer is not one change set")
    item = items[0]
    content_type = item.headers.get("content-type", "")
    if _media_type(content_type) == "multipart/mixed":
        parts = _multipart(content_type, item.content)
        if parts is None:
            raise ProtocolError.from_response(resp, "$batch change set answer cannot be read")
        return [_answer(p, resp) for p in parts]
    return [_answer(item, resp)]


def _media_type(content_type: str) -> str:
    return content_type.partition(";")[0].strip().lower()


def _multipart(content_type: str, body: bytes) -> list[_Part] | None:
    """The parts of a multipart/mixed body (RFC 2046, CRLF line ends), or None if it is not one: an
    answer we cannot read exactly is not guessed at. Reading it directly is several times cheaper than
    building `email` messages, which showed in the profile of a burst of change sets."""
    if _media_type(content_type) != "multipart/mixed":
        return None
    boundary = next((value.strip().strip('"') for name, _, value in
                     (param.strip().partition("=") for param in content_type.split(";")[1:])
                     if name.strip().lower() == "boundary"), "")
    if not boundary:
        return None
    segments = (b"\r\n" + body).split(b"\r\n--" + boundary.encode("latin-1"))
    parts: list[_Part] = []
    for segment in segments[1:]:  # segments[0] is the preamble
        if segment.startswith(b"--"):
            return parts  # the close delimiter; what follows is the epilogue
        padding, crlf, rest = segment.partition(b"\r\n")
        if not crlf or padding.strip(b" \t"):
            return None
        part = _part(rest)
        if part is None:
            return None
        parts.append(part)
    return None  # no close delimiter: cut short


def _part(raw: bytes) -> _Part | None:
    if raw.startswith(b"\r\n"):
        return _Part({}, raw[2:])
    head, found, content = raw.partition(b"\r\n\r\n")
    if not found:
        return None
    headers = {}
    for line in head.decode("latin-1").split(CRLF):
        name, colon, value = line.partition(":")
        if not colon or not name.strip():
            return None
        headers[name.strip().lower()] = value.strip()
    if headers.get("content-transfer-encoding", "binary").lower() not in ("binary", "8bit", "7bit"):
        return None  # OData sends HTTP messages as they are
    return _Part(headers, content)


def _answer(part: _Part, resp: requests.Response) -> PartAnswer:
    if _media_type(part.headers.get("content-type", "application/http")) != "application/http":
        raise ProtocolError.from_response(resp, "$batch answer part without an HTTP response")
    head, _, body = part.content.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split(CRLF)
    words = status_line.split()
    if len(words) < 2 or not words[1].isdigit():
        raise ProtocolError.from_response(resp, f"$batch answer part starts with {status_line[:40]!r}")
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines)}
    try:
        parsed = json.loads(body) if body.strip() else None
    except ValueError:
        raise ProtocolError.from_response(resp, "$batch answer part is not JSON") from None
    return PartAnswer(int(words[1]), headers, parsed if isinstance(parsed, dict) else None)


def _error_of(answer: PartAnswer, outer: requests.Response, record_id: str | None, *,
              replay_safe: bool = False) -> Exception:
    """The failed part as if it had been a plain response to the $batch request."""
    inner = requests.Response()
    inner.status_code = answer.status
    inner.headers.update(answer.headers)
    inner._content = json.dumps(answer.body or {}).encode()
    inner.request, inner.url = outer.request, outer.url
    action = classify(inner, {})
    if action in (Action.SUCCESS, Action.IGNORE):
        action = Action.FAIL
    return error_for_response(action, inner, replay_safe=replay_safe, record_id=record_id)
