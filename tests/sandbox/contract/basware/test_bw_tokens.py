"""POST /v1/tokens and the bearer-token check on API endpoints."""

from __future__ import annotations

import base64
import json
import time

from conftest import Api
from mlc_sandbox.faults import FaultRule


def test_token_is_issued_for_basic_client_credentials(api: Api) -> None:
    response = api.token("accountingDocuments.read vendors.read")
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3600
    assert body["scope"] == "accountingDocuments.read vendors.read"
    parts = body["access_token"].split(".")
    assert len(parts) == 3  # JWT-shaped
    claims = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    assert claims["scope"] == "accountingDocuments.read vendors.read"


def test_wrong_credentials_are_401(api: Api) -> None:
    response = api.token(auth=("sandbox-basware-client", "wrong"))
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


def test_form_credentials_instead_of_basic_auth_are_401(api: Api) -> None:
    response = api.raw("POST", "/v1/tokens", data={
        "grant_type": "client_credentials", "client_id": "sandbox-basware-client",
        "client_secret": "sandbox-basware-secret"})
    assert response.status_code == 401


def test_unknown_scope_is_400_invalid_scope(api: Api) -> None:
    response = api.token("accountingDocuments.read invoices.steal")
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_scope"


def test_wrong_grant_type_is_400(api: Api) -> None:
    response = api.raw("POST", "/v1/tokens", data={"grant_type": "password", "scope": "vendors.read"},
                       auth=("sandbox-basware-client", "sandbox-basware-secret"))
    assert response.status_code == 400
    assert response.json()["error"] == "unsupported_grant_type"


def test_scope_is_required_422(api: Api) -> None:
    response = api.token(scope=None)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "scope"]


def test_api_calls_may_authenticate_with_basic_credentials(api: Api) -> None:
    settings = api.sim.settings
    assert api.raw("GET", "/v1/vendors", auth=(settings.client_id, settings.client_secret)).status_code == 200
    wrong = api.raw("GET", "/v1/vendors", auth=(settings.client_id, "wrong"))
    assert wrong.status_code == 401 and wrong.json()["errors"][0]["code"] == "CREDENTIAL_VALIDATION_ERROR"


def test_missing_or_garbage_bearer_token_is_401_in_basware_format(api: Api) -> None:
    missing = api.raw("GET", "/v1/vendors")
    assert missing.status_code == 401
    assert missing.json()["hasErrors"] is True
    assert missing.json()["errors"][0]["type"] == "SECURITY"
    assert missing.json()["requestId"] == missing.headers["x-amzn-RequestId"]
    forged = api.call("GET", "/v1/vendors", token="a.b.c")
    assert forged.status_code == 401


def test_expired_token_is_401(api: Api) -> None:
    assert api.admin("PATCH", "/settings", json={"token_ttl": 1}).status_code == 200
    token = api.token().json()
    assert token["expires_in"] == 1
    assert api.call("GET", "/v1/vendors", token=token["access_token"]).status_code == 200
    time.sleep(1.1)
    response = api.call("GET", "/v1/vendors", token=token["access_token"])
    assert response.status_code == 401
    assert "expired" in response.json()["errors"][0]["message"]


def test_token_without_the_endpoint_scope_is_403(api: Api) -> None:
    token = api.token("vendors.read").json()["access_token"]
    assert api.call("GET", "/v1/vendors", token=token).status_code == 200
    response = api.call("POST", "/v1/vendors", token=token, json=[])
    assert response.status_code == 403
    assert response.json()["errors"][0]["type"] == "SECURITY"
    assert api.call("GET", "/v1/accountingDocuments", token=token).status_code == 403


def test_revoked_tokens_are_401_and_new_tokens_work(api: Api) -> None:
    old = api.token().json()["access_token"]
    assert api.admin("POST", "/tokens/revoke").json()["revoked"] >= 1
    assert api.call("GET", "/v1/vendors", token=old).status_code == 401
    fresh = api.token().json()["access_token"]
    assert api.call("GET", "/v1/vendors", token=fresh).status_code == 200


def test_expire_token_fault_fails_exactly_one_request(api: Api) -> None:
    api.sim.injector.add(FaultRule(kind="expire_token", system="basware", path="^/v1/vendors$", times=1))
    token = api.bearer
    assert api.call("GET", "/v1/vendors", token=token).status_code == 401
    assert api.call("GET", "/v1/vendors", token=token).status_code == 200


def test_revoke_tokens_fault_invalidates_all_issued_tokens(api: Api) -> None:
    first, second = api.token().json()["access_token"], api.token().json()["access_token"]
    api.sim.injector.add(FaultRule(kind="revoke_tokens", system="basware", times=1))
    assert api.call("GET", "/v1/vendors", token=first).status_code == 401
    assert api.call("GET", "/v1/vendors", token=second).status_code == 401
    assert api.call("GET", "/v1/vendors", token=api.token().json()["access_token"]).status_code == 200
