"""A requests.Session that reads the environment's proxy and CA-bundle settings once per host.

With `trust_env` (the default) requests re-reads them on every request: `getproxies()` scans all of
os.environ, twice, and `no_proxy` is matched again. In the invoice flow's profile that was a sixth of the
client's CPU. The settings are the environment's at the first request to each scheme and host, so set
HTTPS_PROXY, NO_PROXY and REQUESTS_CA_BUNDLE before the client starts (Airflow sets the environment
before a task runs); per-call `proxies=` and the session's own attributes still win as in requests.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, MutableMapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import requests

if TYPE_CHECKING:
    from requests.sessions import _Settings

# Hosts a client speaks to: the API, its IAM and the storage of pre-signed pages. Far fewer than this.
MAX_HOSTS = 64


class EnvironmentOnceSession(requests.Session):
    def __init__(self) -> None:
        super().__init__()
        self._settings: dict[tuple[Any, ...], _Settings] = {}
        self._settings_lock = threading.Lock()

    def merge_environment_settings(self, url: str | bytes | None, proxies: MutableMapping[str, str] | None,
                                   stream: bool | None, verify: bool | str | None,
                                   cert: str | tuple[str, str] | None) -> _Settings:
        if proxies or not self.trust_env or url is None:
            return super().merge_environment_settings(url, proxies, stream, verify, cert)
        parts = urlsplit(url if isinstance(url, str) else url.decode())
        # The session's own settings are part of the key: a change to them is seen at once.
        key = (parts.scheme, parts.netloc, stream, verify, _frozen(cert), _frozen(self.proxies), self.verify,
               _frozen(self.cert), self.stream)
        with self._settings_lock:
            found = self._settings.get(key)
        if found is None:
            found = super().merge_environment_settings(url, proxies, stream, verify, cert)
            with self._settings_lock:
                if len(self._settings) >= MAX_HOSTS:
                    self._settings.clear()
                self._settings[key] = found
        return {**found, "proxies": dict(found["proxies"])}  # requests may change what it is given


def _frozen(value: Any) -> Any:
    if isinstance(value, Mapping):
        return tuple(sorted(value.items()))
    if isinstance(value, list):
        return tuple(value)
    return value
