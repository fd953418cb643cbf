"""URL helpers: what may be logged, and which links may receive our credentials."""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit


def path_of(url: str | None) -> str | None:
    """The path alone: query strings may hold pre-signed credentials or customer data."""
    if not url:
        return None
    return urlsplit(url).path or "/"


def join(base_url: str, path: str) -> str:
    """`base` + `path`, keeping any path prefix of the base (urljoin would drop it)."""
    if path.startswith(("http://", "https://")):
        return path
    return base_url.rstrip("/") + "/" + path.lstrip("/")


def resolve(current_url: str, link: str) -> str:
    """A link as sent by a server (absolute, or relative to the page it came from)."""
    return urljoin(current_url, link)


def same_origin(a: str, b: str) -> bool:
    sa, sb = urlsplit(a), urlsplit(b)
    return (sa.scheme.lower(), sa.netloc.lower()) == (sb.scheme.lower(), sb.netloc.lower())
