"""Keycloak-style client-credentials tokens and bearer checks on every OData endpoint."""

from __future__ import annotations

import base64
import time

import requests

from mlc_sandbox.faults import FaultInjector, FaultRule

from .conftest import SUPPLIERS, Factory, Ifs, error_of, jwt_claims


def test_token_response_is_keycloak_shaped_with_180s_default(make_ifs: Factory) -> None:
    ifs = make_ifs(login=False)
    response = ifs.fetch_token()
    assert response.status_code == 200
    body = response.json()
    assert body["expires_in"] == 180
    assert body["token_type"] == "Bearer"
    assert body["refresh_expires_in"] == 0
    assert body["not-before-policy"] == 0
    assert body["scope"] == "openid microprofile-jwt"
    claims = jwt_claims(body["access_token"])
    assert claims["exp"] - claims["iat"] == 180
    assert claims["iss"].endswith("/auth/realms/sandbox")


def test_client_secret_basic_is_accepted(make_ifs: Factory) -> None:
    ifs = make_ifs(login=False)
    basic = base64.b64encode(b"sandbox-ifs-client:sandbox-ifs-secret").decode()
    response = requests.post(ifs.token_url(), data={"grant_type": "client_credentials"},
                             headers={"Authorization": f"Basic {basic}"}, timeout=10)
    assert response.status_code == 200


def test_wrong_realm_is_404(make_ifs: Factory) -> None:
    ifs = make_ifs(login=False)
    response = requests.post(ifs.token_url("other"), data={"grant_type": "client_credentials"}, timeout=10)
    assert response.status_code == 404


def test_wrong_secret_is_401_unauthorized_client(make_ifs: Factory) -> None:
    response = make_ifs(login=False).fetch_token(client_secret="nope")
    assert response.status_code == 401
    assert response.json()["error"] == "unauthorized_client"
    assert response.json()["error_description"]


def test_unknown_client_is_401(make_ifs: Factory) -> None:
    response = make_ifs(login=False).fetch_token(client_id="someone-else")
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


def test_other_grant_type_is_400(make_ifs: Factory) -> None:
    response = make_ifs(login=False).fetch_token(grant_type="password")
    assert response.status_code == 400
    assert response.json()["error"] == "unsupported_grant_type"


def test_odata_without_bearer_is_401_with_ifs_body(make_ifs: Factory) -> None:
    ifs = make_ifs(login=False)
    response = ifs.get(SUPPLIERS)
    assert response.status_code == 401
    assert error_of(response)["code"] == "UNAUTHORIZED"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_unknown_token_is_401(ifs: Ifs) -> None:
    ifs.session.headers["Authorization"] = "Bearer not-a-token"
    assert ifs.get(SUPPLIERS).status_code == 401


def test_token_expires_after_a_short_ttl(ifs: Ifs) -> None:
    assert ifs.admin("PATCH", "/ifs/settings", json={"token_ttl": 2}).status_code == 200
    token = ifs.fetch_token().json()
    assert token["expires_in"] == 2
    ifs.session.headers["Authorization"] = f"Bearer {token['access_token']}"
    assert ifs.get(SUPPLIERS, params={"$top": 1}).status_code == 200
    time.sleep(2.1)  # real time: the simulated clock runs with it
    response = ifs.get(SUPPLIERS, params={"$top": 1})
    assert response.status_code == 401
    assert "expired" in error_of(response)["message"]


def test_token_expires_when_the_clock_passes_180s(ifs: Ifs) -> None:
    assert ifs.get(SUPPLIERS, params={"$top": 1}).status_code == 200
    ifs.admin("POST", "/ifs/clock/advance", json={"seconds": 181})
    assert ifs.get(SUPPLIERS, params={"$top": 1}).status_code == 401
    ifs.login()
    assert ifs.get(SUPPLIERS, params={"$top": 1}).status_code == 200


def test_revoke_endpoint_invalidates_every_token(ifs: Ifs) -> None:
    assert ifs.admin("POST", "/ifs/tokens/revoke").json()["revoked"] >= 1
    response = ifs.get(SUPPLIERS, params={"$top": 1})
    assert response.status_code == 401
    assert "revoked" in error_of(response)["message"]
    ifs.login()
    assert ifs.get(SUPPLIERS, params={"$top": 1}).status_code == 200


def test_token_requests_are_counted(ifs: Ifs) -> None:
    ifs.fetch_token()
    ifs.fetch_token(client_secret="bad")
    assert ifs.sim.token_requests == 3  # the fixture's login, one good, one bad
    counts = ifs.admin("GET", "/ifs/tokens").json()
    assert counts["token_requests"] == 3
    assert counts["tokens_issued"] == 2


def test_expire_token_fault_gives_one_401(make_ifs: Factory) -> None:
    injector = FaultInjector()
    ifs = make_ifs(injector=injector)
    injector.add(FaultRule(kind="expire_token", system="ifs", times=1))
    assert ifs.get(SUPPLIERS, params={"$top": 1}).status_code == 401
    assert ifs.get(SUPPLIERS, params={"$top": 1}).status_code == 401  # that token stays expired
    ifs.login()
    assert ifs.get(SUPPLIERS, params={"$top": 1}).status_code == 200


def test_revoke_tokens_fault_revokes_all(make_ifs: Factory) -> None:
    injector = FaultInjector()
    ifs = make_ifs(injector=injector)
    other = ifs.fetch_token().json()["access_token"]
    injector.add(FaultRule(kind="revoke_tokens", system="ifs", times=1))
    assert ifs.get(SUPPLIERS, params={"$top": 1}).status_code == 401
    response = requests.get(ifs.api(SUPPLIERS), headers={"Authorization": f"Bearer {other}"}, timeout=10)
    assert response.status_code == 401
