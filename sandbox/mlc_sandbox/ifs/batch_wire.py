"""The `$batch` wire format of OData 4.0 (multipart/mixed, JSON-less): parse requests, write responses.

Parsing uses the standard library's `email` package (MIME is what multipart/mixed is); each part is an
`application/http` message holding one HTTP request; a nested multipart/mixed part is a change set.
"""

from __future__ import annotations

import email.parser
import email.policy
import uuid
from dataclasses import dataclass, field
from email.message import Message
from http import HTTPStatus

from mlc_sandbox.ifs.errors import IfsError, detail

CRLF = b"\r\n"
CHANGE_SET_METHODS = frozenset({"POST", "PATCH", "PUT", "DELETE"})


@dataclass
class Part:
    method: str
    url: str
    headers: dict[str, str]  # lower-case names
    body: bytes = b""
    content_id: str | None = None


@dataclass
class ChangeSet:
    parts: list[Part] = field(default_factory=list)


@dataclass
class PartResponse:
    status: int
    headers: list[tuple[str, str]]
    body: bytes = b""
    content_id: str | None = None
    url: str | None = None  # the entity it created (Location) or addressed: what `$<Content-ID>` stands for


def malformed(message: str) -> IfsError:
    return IfsError(400, "ODP_BAD_REQUEST", "Malformed Request.", [detail("ODP_BATCH_ERROR", message, "$batch")])


def parse_batch(content_type: str | None, body: bytes) -> list[Part | ChangeSet]:
    if not content_type or not content_type.lower().startswith("multipart/mixed"):
        raise malformed("a $batch request needs Content-Type multipart/mixed with a boundary")
    message = email.parser.BytesParser(policy=email.policy.compat32).parsebytes(
        b"Content-Type: " + content_type.encode("latin-1") + CRLF + CRLF + body)
    if not message.is_multipart() or not message.get_boundary() or message.defects:
        raise malformed(f"the multipart body cannot be read ({_defects(message) or 'no boundary'})")
    items: list[Part | ChangeSet] = []
    for sub in _parts(message):
        if sub.get_content_type() == "multipart/mixed":
            items.append(ChangeSet([_change(p) for p in _parts(sub)]))
        else:
            items.append(_request(sub))
    if not items:
        raise malformed("the $batch holds no requests")
    return items


def _parts(message: Message) -> list[Message]:
    payload = message.get_payload()
    if message.defects or not isinstance(payload, list):
        raise malformed(f"a multipart part cannot be read ({_defects(message) or 'no parts'})")
    return [p for p in payload if isinstance(p, Message)]


def _defects(message: Message) -> str:
    return ", ".join(type(d).__name__ for d in message.defects)


def _change(message: Message) -> Part:
    part = _request(message)
    if part.method not in CHANGE_SET_METHODS:
        # OData 4.0: a change set holds data modification requests and actions only, never a GET.
        raise malformed(f"{part.method} is not allowed inside a change set")
    return part


def _request(message: Message) -> Part:
    if message.get_content_type() != "application/http":
        raise malformed(f"a $batch part must be application/http, not {message.get_content_type()}")
    raw = message.get_payload(decode=True)
    if not isinstance(raw, bytes):
        raise malformed("a $batch part has no HTTP request")
    sep = CRLF + CRLF if CRLF + CRLF in raw else b"\n\n"
    head, _, body = raw.partition(sep)
    lines = head.decode("utf-8").splitlines()
    words = lines[0].split() if lines else []
    if len(words) != 3 or not words[2].startswith("HTTP/"):
        raise malformed(f"a $batch part does not start with a request line: {lines[:1]!r}")
    headers = {}
    for line in lines[1:]:
        name, colon, value = line.partition(":")
        if not colon:
            raise malformed(f"malformed header line {line!r} in a $batch part")
        headers[name.strip().lower()] = value.strip()
    content_id = message.get("Content-ID") or headers.pop("content-id", None)
    return Part(words[0].upper(), words[1], headers, body.rstrip(CRLF), content_id)


def encode_responses(items: list[PartResponse | list[PartResponse]]) -> tuple[bytes, str]:
    """The multipart/mixed response body and its boundary; a list is a change set's responses."""
    boundary = f"batchresponse_{uuid.uuid4()}"
    chunks = []
    for item in items:
        if isinstance(item, list):
            inner, inner_boundary = _multipart([_http_part(r) for r in item], "changesetresponse")
            chunks.append(f"Content-Type: multipart/mixed; boundary={inner_boundary}".encode() + CRLF + CRLF + inner)
        else:
            chunks.append(_http_part(item))
    body, _ = _multipart(chunks, boundary=boundary)
    return body, boundary


def _multipart(chunks: list[bytes], prefix: str = "", boundary: str | None = None) -> tuple[bytes, str]:
    boundary = boundary or f"{prefix}_{uuid.uuid4()}"
    mark = b"--" + boundary.encode()
    body = b"".join(mark + CRLF + chunk + CRLF for chunk in chunks) + mark + b"--" + CRLF
    return body, boundary


def _http_part(response: PartResponse) -> bytes:
    mime = ["Content-Type: application/http", "Content-Transfer-Encoding: binary"]
    if response.content_id:
        mime.append(f"Content-ID: {response.content_id}")
    status = f"HTTP/1.1 {response.status} {HTTPStatus(response.status).phrase}"
    headers = [f"{name}: {value}" for name, value in response.headers if name.lower() != "content-length"]
    head = "\r\n".join(mime).encode() + CRLF + CRLF + "\r\n".join([status, *headers]).encode("latin-1")
    return head + CRLF + CRLF + response.body
