"""The soak's token-budget invariant (at most one token per holder per token lifetime), checked on the
tokens the simulators issued: a client that refreshes too eagerly is caught; one that renews only after a
revocation is not."""

from __future__ import annotations

import itertools
import time

import requests

from ml_connector.basware.client import DEFAULT_SCOPES
from ml_connector.http.token_managers import ifs_token_manager
from ml_connector.http.tokens import BaswareTokenSource, TokenManager
from mlc_sandbox.runner import Sandbox, SandboxOptions
from mlc_sandbox.soak.invariants import TOKEN_BUDGET, Holders, token_budget, token_lives


def _documents(sandbox: Sandbox, manager: TokenManager, requests_made: int) -> None:
    for _ in range(requests_made):
        resp = requests.get(f"{sandbox.basware_url}/v1/accountingDocuments", timeout=10, allow_redirects=False,
                            headers={"Authorization": f"Bearer {manager.get_token()}"})  # 30x to the export
        if resp.status_code == 401:
            manager.invalidate()
            continue
        resp.raise_for_status()


def _basware_manager(sandbox: Sandbox, **options: object) -> TokenManager:
    creds = sandbox.credentials()["basware"]
    source = BaswareTokenSource(sandbox.basware_url, creds["client_id"], creds["client_secret"], DEFAULT_SCOPES)
    return TokenManager(source, name="basware", **options)  # type: ignore[arg-type]


def test_a_token_manager_that_refreshes_too_eagerly_breaks_the_budget() -> None:
    # A clock that jumps an hour a call: every token looks stale, so each request fetches a new one.
    hours = itertools.count(step=3600.0)
    with Sandbox(SandboxOptions(invoices=3, suppliers=5)) as sandbox:
        started = time.monotonic()
        _documents(sandbox, _basware_manager(sandbox, clock=lambda: next(hours)), 6)
        holders = Holders(1, time.monotonic() - started)
        breach = token_budget("demo", "basware", token_lives(sandbox)["basware"], holders)
        sandbox.basware.close()
    assert breach is not None
    assert breach.invariant == TOKEN_BUDGET
    assert breach.invoice_ids == ["demo/basware"]
    assert "6 tokens used, at most 1 allowed" in breach.detail


def test_one_token_per_holder_and_one_more_per_revocation_keep_the_budget() -> None:
    with Sandbox(SandboxOptions(invoices=3, suppliers=5)) as sandbox:
        started = time.monotonic()
        manager = _basware_manager(sandbox)
        _documents(sandbox, manager, 4)
        sandbox.basware.ctx.tokens.revoke_all()  # revoked mid-run: one replacement is due
        _documents(sandbox, manager, 4)
        _documents(sandbox, _basware_manager(sandbox), 2)  # a second holder (another task process)
        lives = token_lives(sandbox)["basware"]
        holders = Holders(2, time.monotonic() - started)
        assert token_budget("demo", "basware", lives, holders) is None
        sandbox.basware.close()
    assert sum(1 for t in lives if t.uses) == 3


def test_ifs_tokens_refused_as_expired_are_replaced_within_the_budget() -> None:
    with Sandbox(SandboxOptions(invoices=3, suppliers=5)) as sandbox:
        creds = sandbox.credentials()["ifs"]
        manager = ifs_token_manager(sandbox.ifs_url, creds["realm"], creds["client_id"], creds["client_secret"])
        url = f"{sandbox.ifs_url}/main/ifsapplications/projection/v1/CompanyHandling.svc/$metadata"
        started, statuses = time.monotonic(), []
        for _ in range(3):
            resp = requests.get(url, headers={"Authorization": f"Bearer {manager.get_token()}"}, timeout=10)
            statuses.append(resp.status_code)
            sandbox.ifs.revoke_tokens()
            manager.invalidate()
        lives = token_lives(sandbox)["ifs"]
        ok = token_budget("demo", "ifs", lives, Holders(1, time.monotonic() - started))
        # The same tokens, had nothing revoked them, are two too many for one holder.
        for life in lives:
            life.ended = None
        eager = token_budget("demo", "ifs", lives, Holders(1, time.monotonic() - started))
        sandbox.basware.close()
    assert statuses == [200, 200, 200]
    assert ok is None
    assert eager is not None and "3 tokens used, at most 1 allowed" in eager.detail
