"""Token lifecycle over real HTTP: refresh ahead of expiry across many lifetimes, revocation, bad secrets."""

from __future__ import annotations

import itertools
import logging
import math
import threading
import time

import pytest

from ml_connector.http.errors import AuthenticationError
from ml_connector.http.tokens import KeycloakTokenSource, TokenManager
from ml_connector.ifs.odata import F, Query
from mlc_sandbox.runner import Sandbox

from .support import FAST_RETRY, SUPPLIERS, add_fault, admin, bw_client, entries, ifs_client, ifs_token_path

TTL = 3  # seconds: IFS's 180 s compressed so a 9 s run spans three lifetimes
RUN_SECONDS = 9.0


def _ifs_tokens(sb: Sandbox, margin: float) -> TokenManager:
    """The client's own token manager, its refresh margin scaled down with the lifetime.

    The default 10 s floor is capped at half of a 3 s lifetime, i.e. two fetches per lifetime (by
    design for tokens under 20 s); 0.6 s of 3 s is the same share as 36 s of IFS's 180 s.
    """
    creds = sb.credentials()["ifs"]
    source = KeycloakTokenSource(sb.ifs_url, creds["realm"], creds["client_id"], creds["client_secret"],
                                 retry=FAST_RETRY)
    return TokenManager(source, min_margin=margin, name="ifs-test")


def test_several_token_lifetimes_never_401_and_one_token_request_per_lifetime(sb: Sandbox) -> None:
    admin(sb.ifs_url, "PATCH", "/ifs/settings", {"token_ttl": TTL})
    tokens = _ifs_tokens(sb, margin=0.6)
    client = ifs_client(sb, token_manager=tokens, max_page_size=40)
    failures: list[BaseException] = []
    rows_read = [0, 0, 0]
    started = time.monotonic()

    def work(n: int) -> None:
        # Each thread pages the whole set, or reads single rows, until the run time is up.
        try:
            while time.monotonic() - started < RUN_SECONDS:
                if n == 2:
                    entity, etag = client.reads.get(*SUPPLIERS, {"SupplierId": "10007"})
                    rows_read[n] += 1 if etag and entity["SupplierId"] == "10007" else 0
                else:
                    query = Query(filter=F("SupplierId").ge("10000")) if n else None
                    rows_read[n] += sum(1 for _ in client.reads.iter(*SUPPLIERS, query))
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    duration = time.monotonic() - started

    assert failures == []
    assert all(rows_read), rows_read
    log = sb.ifs.requests()
    api_calls = entries(log, path=lambda p: "/projection/" in p)
    assert len(api_calls) > 50  # really continuous traffic
    assert [e for e in api_calls if e["status"] == 401] == []
    token_calls = entries(log, "POST", ifs_token_path(sb))
    bound = math.ceil(duration / TTL) + 1
    assert 3 <= len(token_calls) <= bound, (len(token_calls), duration)
    assert tokens.token_requests == sb.ifs.token_requests == len(token_calls)
    # Single flight: three threads never raced each other to the token endpoint.
    gaps = [b["time"] - a["time"] for a, b in itertools.pairwise(token_calls)]
    assert min(gaps) > TTL / 2, gaps


def test_ifs_token_revoked_mid_paging_refreshes_once_and_the_run_continues(sb: Sandbox) -> None:
    client = ifs_client(sb, max_page_size=25)
    add_fault(sb.ifs_url, kind="revoke_tokens", system="ifs", path="SupplierInfoGeneralSet", skip=2, times=1)
    rows = list(client.reads.iter(*SUPPLIERS))

    assert len({r["SupplierId"] for r in rows}) == len(rows) == 120
    assert client.tokens.token_requests == sb.ifs.token_requests == 2
    statuses = [e["status"] for e in entries(sb.ifs.requests(), "GET")]
    assert statuses.count(401) == 1
    assert statuses[-1] == 200


def test_ifs_admin_revoke_between_pages_refreshes_once(sb: Sandbox) -> None:
    client = ifs_client(sb, max_page_size=25)
    rows = []
    for row in client.reads.iter(*SUPPLIERS):
        rows.append(row)
        if len(rows) == 30:  # generator paused inside page two: the next page needs a new token
            assert admin(sb.ifs_url, "POST", "/ifs/tokens/revoke")["revoked"] == 1
    assert len({r["SupplierId"] for r in rows}) == 120
    assert client.tokens.token_requests == sb.ifs.token_requests == 2


def test_basware_token_revoked_mid_paging_refreshes_once(sb: Sandbox) -> None:
    client = bw_client(sb)
    add_fault(sb.basware_url, kind="revoke_tokens", system="basware", path="^/v1/vendors$", skip=1, times=1)
    vendors = list(client.vendors.iter(page_size=20))

    assert len({v["externalCode"] for v in vendors}) == len(vendors) == len(sb.dataset.basware_vendors)
    token_calls = entries(sb.basware.request_log, "POST", "/v1/tokens")
    assert client.tokens.token_requests == len(token_calls) == 2
    assert [e["status"] for e in entries(sb.basware.request_log, "GET", "/v1/vendors")].count(401) == 1


def test_second_401_after_refresh_is_an_authentication_error_not_a_loop(sb: Sandbox) -> None:
    client = ifs_client(sb)
    add_fault(sb.ifs_url, kind="expire_token", system="ifs", path="SupplierInfoGeneralSet")  # every time
    with pytest.raises(AuthenticationError, match="401 again after a token refresh"):
        client.reads.get(*SUPPLIERS, {"SupplierId": "10001"})
    assert sb.ifs.token_requests == client.tokens.token_requests == 2
    assert len(entries(sb.ifs.requests(), "GET")) == 2


@pytest.mark.parametrize("system", ["ifs", "basware"])
def test_wrong_secret_fails_after_one_token_attempt_without_leaking_it(
    sb: Sandbox, system: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    wrong = "Wr0ng-Secret-4711-do-not-log"
    with pytest.raises(AuthenticationError) as info:
        if system == "ifs":
            client = ifs_client(sb, secret=wrong)
            client.reads.get(*SUPPLIERS, {"SupplierId": "10001"})
        else:
            client = bw_client(sb, secret=wrong)
            list(client.vendors.iter())
    if system == "ifs":
        token_calls = entries(sb.ifs.requests(), "POST", ifs_token_path(sb))
        api_calls = entries(sb.ifs.requests(), "GET")
    else:
        token_calls = entries(sb.basware.request_log, "POST", "/v1/tokens")
        api_calls = entries(sb.basware.request_log, "GET")
    assert [e["status"] for e in token_calls] == [401]
    assert api_calls == []
    assert client.tokens.token_requests == 1
    exc = info.value
    assert exc.status == 401
    for text in (str(exc), repr(exc), repr(vars(exc)), repr(client), repr(client.tokens), caplog.text):
        assert wrong not in text
