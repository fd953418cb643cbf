"""Request identity: a fresh id for every call we make, and the id the server gives back."""

from __future__ import annotations

import uuid

import requests

# Basware (API Gateway) answers with x-amzn-RequestId; other gateways use the generic names.
RESPONSE_REQUEST_ID_HEADERS: tuple[str, ...] = ("x-amzn-RequestId", "X-Request-Id", "X-Correlation-Id")


def new_request_id() -> str:
    return str(uuid.uuid4())


def response_request_id(response: requests.Response | None) -> str | None:
    if response is None:
        return None
    for name in RESPONSE_REQUEST_ID_HEADERS:
        value = response.headers.get(name)
        if value:
            return value
    return None


class RequestIdHeader:
    """Per-request hook: stamp a new UUID4 into `header` on every HTTP attempt."""

    def __init__(self, header: str = "X-BW-REQUEST-ID") -> None:
        self.header = header

    def __call__(self, request: requests.PreparedRequest) -> None:
        request.headers[self.header] = new_request_id()
