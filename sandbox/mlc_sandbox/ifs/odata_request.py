"""One OData request as the handlers see it: from HTTP, or one part of a `$batch`."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit


@dataclass
class ODataRequest:
    method: str
    projection: str
    root: str  # the service root URL, .../{Projection}.svc
    path: str  # after the service root: "/SupplierInfoGeneralSet('10001')"; "" is the service document
    params: list[tuple[str, str]] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)  # lower-case names
    body: bytes = b""
    request_id: str | None = None  # the HTTP request's id (a $batch part: the $batch's id)
    batch_part: str | None = None  # inside a $batch: the part's Content-ID or position

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    @property
    def url(self) -> str:
        return f"{self.root}{self.path}"

    @property
    def url_path(self) -> str:
        """The absolute path, as fault rules and the request log match it."""
        return urlsplit(self.url).path

    def prefers(self, preference: str) -> bool:
        return preference in [p.strip() for p in (self.header("prefer") or "").split(",")]
