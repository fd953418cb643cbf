"""`ml-connector simulate` as a user runs it, probed by a client written only from the reference docs.

Deliberately plain `requests` calls, not our clients: this proves the simulators speak the documented
contract, not merely whatever our own client expects.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import requests

TIMEOUT = 30


@dataclass
class Running:
    basware: str
    ifs_odata: str
    ifs_token_url: str
    output: str


@pytest.fixture(scope="module")
def simulate() -> Iterator[Running]:
    yield from _simulate("--suppliers", "12000", "--invoices", "450", "--ifs-token-ttl", "4")


def _simulate(*args: str) -> Iterator[Running]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "ml_connector.cli", "simulate", "--basware-port", "0", "--ifs-port", "0", *args],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert proc.stdout is not None
    lines: list[str] = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line)
        if "fault injection" in line:
            break
    output = "".join(lines)
    try:
        basware = re.search(r"Basware P2P API\s*:\s*(\S+)", output)
        odata = re.search(r"IFS Cloud OData\s*:\s*(\S+)", output)
        token = re.search(r"token\s*:\s*POST (\S+/openid-connect/token)", output)
        assert basware and odata and token, output
        yield Running(basware[1], odata[1], token[1], output)
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_ifs_profile_serves_an_older_releases_names() -> None:
    for running in _simulate("--suppliers", "20", "--invoices", "3", "--ifs-profile", "ifs-apps10"):
        assert "(names: profile ifs-apps10)" in running.output
        token = requests.post(running.ifs_token_url, data={
            "grant_type": "client_credentials", "client_id": "sandbox-ifs-client",
            "client_secret": "sandbox-ifs-secret", "scope": "openid"}, timeout=TIMEOUT).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        old = requests.get(f"{running.ifs_odata}ManualSupplierInvoiceHandling.svc/$metadata", headers=headers,
                           timeout=TIMEOUT)
        assert old.status_code == 200 and b'Name="NetAmount"' in old.content
        new = requests.get(f"{running.ifs_odata}ManSuppInvoiceHandling.svc/$metadata", headers=headers,
                           timeout=TIMEOUT)
        assert new.status_code == 404


def test_startup_prints_urls_and_sandbox_credentials(simulate: Running) -> None:
    assert "sandbox-basware-client" in simulate.output
    assert "sandbox-ifs-client" in simulate.output


def _basware_token(base: str) -> str:
    response = requests.post(f"{base}/v1/tokens", auth=("sandbox-basware-client", "sandbox-basware-secret"),
                             data={"grant_type": "client_credentials", "scope": "accountingDocuments.read"},
                             timeout=TIMEOUT)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3600
    return str(body["access_token"])


def test_reference_client_pages_all_invoices(simulate: Running) -> None:
    token = _basware_token(simulate.basware)
    params = {"ProcessingStatus": "WaitingForTransfer", "pageSize": 100}
    headers = {"Authorization": f"Bearer {token}"}
    seen: list[str] = []
    pages = 0
    while True:
        first = requests.get(f"{simulate.basware}/v1/accountingDocuments", params=params, headers=headers,
                             allow_redirects=False, timeout=TIMEOUT)
        assert first.status_code == 302, first.text
        page = requests.get(first.headers["Location"], timeout=TIMEOUT)  # no Authorization, as documented
        assert page.status_code == 200, page.text
        docs = page.json()["accountingDocuments"]  # Basware's AccountingDocumentResponse
        assert isinstance(docs, list)
        seen.extend(doc["invoiceId"] for doc in docs)
        pages += 1
        token_header = page.headers.get("X-amz-meta-continuationToken")
        if not token_header:
            break
        headers = {**headers, "x-amz-meta-continuationtoken": token_header}
    assert len(seen) == len(set(seen)) == 450
    assert pages >= 5


def _ifs_token(url: str) -> str:
    response = requests.post(url, data={"grant_type": "client_credentials", "client_id": "sandbox-ifs-client",
                                        "client_secret": "sandbox-ifs-secret",
                                        "scope": "openid microprofile-jwt"}, timeout=TIMEOUT)
    assert response.status_code == 200, response.text
    assert response.json()["expires_in"] == 4
    return str(response.json()["access_token"])


def test_reference_client_pages_12000_suppliers_through_next_links(simulate: Running) -> None:
    url: str | None = f"{simulate.ifs_odata}SupplierHandling.svc/SupplierInfoGeneralSet"
    ids: list[str] = []
    pages = 0
    while url:
        # A fresh token per call: tokens here live 4 s, and this client is deliberately naive.
        response = requests.get(url, headers={"Authorization": f"Bearer {_ifs_token(simulate.ifs_token_url)}"},
                                timeout=TIMEOUT)
        assert response.status_code == 200, response.text
        body = response.json()
        assert len(body["value"]) <= 5000
        ids.extend(row["SupplierId"] for row in body["value"])
        url = body.get("@odata.nextLink")
        pages += 1
    assert pages == 3
    assert len(ids) == len(set(ids)) == 12000


def test_reference_client_sees_412_on_a_stale_etag(simulate: Running) -> None:
    entity = f"{simulate.ifs_odata}SupplierHandling.svc/SupplierInfoGeneralSet(SupplierId='10007')"
    auth = {"Authorization": f"Bearer {_ifs_token(simulate.ifs_token_url)}"}
    current = requests.get(entity, headers=auth, timeout=TIMEOUT)
    assert current.status_code == 200, current.text
    etag = current.json()["@odata.etag"]
    changed = requests.patch(entity, json={"Name": "Renamed Supplier"}, headers={**auth, "If-Match": etag},
                             timeout=TIMEOUT)
    assert changed.status_code in (200, 204), changed.text
    stale = requests.patch(entity, json={"Name": "Second Writer"}, headers={**auth, "If-Match": etag},
                           timeout=TIMEOUT)
    assert stale.status_code == 412
    assert "error" in stale.json()


def test_reference_client_sees_401_with_an_expired_token(simulate: Running) -> None:
    token = _ifs_token(simulate.ifs_token_url)
    url = f"{simulate.ifs_odata}CompanyHandling.svc/CompanySet"
    assert requests.get(url, headers={"Authorization": f"Bearer {token}"}, timeout=TIMEOUT).status_code == 200
    time.sleep(4.5)
    assert requests.get(url, headers={"Authorization": f"Bearer {token}"}, timeout=TIMEOUT).status_code == 401
