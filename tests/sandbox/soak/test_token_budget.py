"""The soak's token-budget invariant (one token per tenant and system at a time, however many task
processes use it), checked on the tokens the simulators issued: a client that refreshes too eagerly, or
processes that each ask for their own, are caught; renewals on schedule and replacements are not."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
import requests

from ml_connector.basware.client import DEFAULT_SCOPES
from ml_connector.http.token_managers import basware_token_manager, ifs_token_manager
from ml_connector.http.tokens import BaswareTokenSource, TokenManager
from ml_connector.state import StateStore
from mlc_sandbox.runner import Sandbox, SandboxOptions
from mlc_sandbox.soak.invariants import TOKEN_BUDGET, renew_interval, token_budget, token_lives
from mlc_sandbox.token_ledger import TokenLife


def _documents(sandbox: Sandbox, manager: TokenManager, requests_made: int) -> None:
    for _ in range(requests_made):
        resp = requests.get(f"{sandbox.basware_url}/v1/accountingDocuments", timeout=10, allow_redirects=False,
                            headers={"Authorization": f"Bearer {manager.get_token()}"})  # 30x to the export
        if resp.status_code == 401:
            manager.invalidate()
            continue
        resp.raise_for_status()


def _basware_manager(sandbox: Sandbox, store: StateStore | None = None) -> TokenManager:
    """A task process's manager (unshared in this process), sharing through `store` as the tasks do."""
    creds = sandbox.credentials()["basware"]
    manager = basware_token_manager(sandbox.basware_url, creds["client_id"], creds["client_secret"], DEFAULT_SCOPES)
    if store is not None:
        manager.share_through(store)
    return manager


@pytest.fixture
def store(tmp_path: Path) -> StateStore:
    state = StateStore(f"sqlite:///{tmp_path / 'state.db'}")
    state.migrate()
    return state


def test_renewals_on_schedule_and_replacements_keep_the_budget_and_one_more_breaks_it() -> None:
    every = renew_interval(180)
    assert (every, renew_interval(3600), renew_interval(10)) == (162, 3240, 5)
    on_schedule = [TokenLife(1000 + n * every, 180, uses=3) for n in range(4)]
    assert token_budget("t", "ifs", on_schedule) is None
    early = [*on_schedule, TokenLife(1000 + 3 * every + 1, 180, uses=1)]
    breach = token_budget("t", "ifs", early)
    assert breach is not None and breach.invoice_ids == ["t/ifs"]
    assert "5 tokens used, at most 4 allowed" in breach.detail
    on_schedule[1].ended = 1000 + every + 5  # revoked: its replacement is due
    assert token_budget("t", "ifs", early) is None
    never_presented = [*on_schedule, TokenLife(1000 + 3 * every + 1, 180, uses=0)]
    assert token_budget("t", "ifs", never_presented) is None


def test_a_token_manager_that_refreshes_too_eagerly_breaks_the_budget() -> None:
    # A clock that jumps an hour a call: every token looks stale, so each request fetches a new one.
    hours = itertools.count(step=3600.0)
    with Sandbox(SandboxOptions(invoices=3, suppliers=5)) as sandbox:
        creds = sandbox.credentials()["basware"]
        source = BaswareTokenSource(sandbox.basware_url, creds["client_id"], creds["client_secret"], DEFAULT_SCOPES)
        _documents(sandbox, TokenManager(source, name="basware", clock=lambda: next(hours)), 6)
        breach = token_budget("demo", "basware", token_lives(sandbox)["basware"])
        sandbox.basware.close()
    assert breach is not None
    assert breach.invariant == TOKEN_BUDGET
    assert breach.invoice_ids == ["demo/basware"]
    assert "6 tokens used, at most 1 allowed" in breach.detail


def test_task_processes_that_each_ask_for_their_own_token_break_the_budget() -> None:
    with Sandbox(SandboxOptions(invoices=3, suppliers=5)) as sandbox:
        for _ in range(3):
            _documents(sandbox, _basware_manager(sandbox), 2)
        breach = token_budget("demo", "basware", token_lives(sandbox)["basware"])
        sandbox.basware.close()
    assert breach is not None and "3 tokens used, at most 1 allowed" in breach.detail


def test_task_processes_sharing_the_cache_and_a_revocation_keep_the_budget(store: StateStore) -> None:
    with Sandbox(SandboxOptions(invoices=3, suppliers=5)) as sandbox:
        manager = _basware_manager(sandbox, store)
        _documents(sandbox, manager, 4)
        sandbox.basware.ctx.tokens.revoke_all()  # revoked mid-run: one replacement is due
        _documents(sandbox, manager, 4)
        for _ in range(3):  # more task processes: they adopt the shared token
            _documents(sandbox, _basware_manager(sandbox, store), 2)
        lives = token_lives(sandbox)["basware"]
        assert token_budget("demo", "basware", lives) is None
        sandbox.basware.close()
    assert sum(1 for t in lives if t.uses) == 2


def test_ifs_tokens_refused_as_expired_are_replaced_within_the_budget() -> None:
    with Sandbox(SandboxOptions(invoices=3, suppliers=5)) as sandbox:
        creds = sandbox.credentials()["ifs"]
        manager = ifs_token_manager(sandbox.ifs_url, creds["realm"], creds["client_id"], creds["client_secret"])
        url = f"{sandbox.ifs_url}/main/ifsapplications/projection/v1/CompanyHandling.svc/$metadata"
        statuses = []
        for _ in range(3):
            resp = requests.get(url, headers={"Authorization": f"Bearer {manager.get_token()}"}, timeout=10)
            statuses.append(resp.status_code)
            sandbox.ifs.revoke_tokens()
            manager.invalidate()
        lives = token_lives(sandbox)["ifs"]
        ok = token_budget("demo", "ifs", lives)
        # The same tokens, had nothing revoked them, are two too many.
        for life in lives:
            life.ended = None
        eager = token_budget("demo", "ifs", lives)
        sandbox.basware.close()
    assert statuses == [200, 200, 200]
    assert ok is None
    assert eager is not None and "3 tokens used, at most 1 allowed" in eager.detail
