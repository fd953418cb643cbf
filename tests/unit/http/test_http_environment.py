"""The session that reads proxy and CA settings from the environment once per host, as requests would."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from ml_connector.http.environment import EnvironmentOnceSession

PROXY = "http://proxy.corp.example:3128"


def _settings(session: requests.Session, url: str, proxies: dict[str, str] | None = None) -> dict[str, Any]:
    return dict(session.merge_environment_settings(url, proxies or {}, None, None, None))


@pytest.fixture(autouse=True)
def proxy_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "no_proxy",
                 "all_proxy", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTPS_PROXY", PROXY)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,internal.example")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/ssl/corp-ca.pem")


@pytest.mark.parametrize("url", ["https://api.basware.example/v1/vendors", "https://internal.example/x",
                                 "http://127.0.0.1:8081/v1/tokens"])
def test_the_settings_are_those_requests_itself_would_use(url: str) -> None:
    assert _settings(EnvironmentOnceSession(), url) == _settings(requests.Session(), url)


def test_they_are_read_once_per_host_and_a_new_host_reads_them_afresh(monkeypatch: pytest.MonkeyPatch) -> None:
    session = EnvironmentOnceSession()
    first = _settings(session, "https://api.basware.example/v1/vendors")
    monkeypatch.setenv("HTTPS_PROXY", "http://other-proxy.example:8080")

    assert _settings(session, "https://api.basware.example/v1/accountingDocuments") == first
    assert first["proxies"]["https"] == PROXY and first["verify"] == "/etc/ssl/corp-ca.pem"
    new_host = "https://eu.files.example/page"
    assert _settings(session, new_host) == _settings(requests.Session(), new_host)
    assert _settings(session, new_host)["proxies"]["https"] == "http://other-proxy.example:8080"


def test_per_call_proxies_session_settings_and_trust_env_off_win_as_in_requests() -> None:
    session = EnvironmentOnceSession()
    url = "https://api.basware.example/v1/vendors"
    _settings(session, url)
    given = {"https": "http://per-call.example:1"}
    assert _settings(session, url, proxies=given)["proxies"] == given
    session.verify = "/etc/ssl/other.pem"
    assert _settings(session, url)["verify"] == "/etc/ssl/corp-ca.pem"  # the environment wins, as in requests
    session.trust_env = False
    assert _settings(session, url) == _settings(_plain(trust_env=False, verify="/etc/ssl/other.pem"), url)


def _plain(**attributes: object) -> requests.Session:
    plain = requests.Session()
    for name, value in attributes.items():
        setattr(plain, name, value)
    return plain


def test_a_caller_changing_the_answer_does_not_change_the_next_one() -> None:
    session = EnvironmentOnceSession()
    url = "https://api.basware.example/v1/vendors"
    _settings(session, url)["proxies"]["https"] = "http://tampered.example"
    assert _settings(session, url)["proxies"]["https"] == PROXY
