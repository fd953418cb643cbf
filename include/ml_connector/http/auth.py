"""requests auth that attaches the current bearer token from a TokenManager."""

from __future__ import annotations

import requests
import requests.auth

from ml_connector.http.tokens import TokenManager

_PREFIX = "Bearer "


class BearerAuth(requests.auth.AuthBase):
    def __init__(self, tokens: TokenManager) -> None:
        self.tokens = tokens

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = _PREFIX + self.tokens.get_token()
        return request

    def __repr__(self) -> str:
        return f"BearerAuth({self.tokens!r})"


def bearer_token_of(request: requests.PreparedRequest | None) -> str | None:
    """The token a request was sent with, so a 401 invalidates exactly that token."""
    header = request.headers.get("Authorization", "") if request is not None else ""
    return header[len(_PREFIX):] if header.startswith(_PREFIX) else None
