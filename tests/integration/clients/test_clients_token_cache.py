"""One token per credential set across processes, through the state store's sealed token cache, over
real HTTP to the IFS simulator, on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator

import pytest
from sqlalchemy import select, update

from ml_connector.http.token_managers import ifs_token_manager
from ml_connector.http.tokens import TokenManager
from ml_connector.state import StateStore
from ml_connector.state.models import token_cache
from mlc_sandbox.runner import Sandbox

from .support import FAST_RETRY, SUPPLIERS, add_fault, admin, ifs_client

# A task process: build the manager as the hooks do, share it through the store, wait for the go, get a token.
WORKER = textwrap.dedent("""
    import hashlib, json, os, sys
    from ml_connector.http.token_managers import ifs_token_manager
    from ml_connector.state import StateStore
    env = os.environ
    tokens = ifs_token_manager(env["T_HOST"], env["T_REALM"], env["T_CLIENT"], env["T_SECRET"])
    tokens.share_through(StateStore(env["T_STATE"]))
    print("ready", flush=True)
    sys.stdin.readline()
    token = tokens.get_token()
    print(json.dumps({"requests": tokens.token_requests, "adopted": tokens.tokens_adopted,
                      "token": hashlib.sha256(token.encode()).hexdigest()}), flush=True)
""")


_STORES: list[StateStore] = []


@pytest.fixture
def state(db_url: str) -> Iterator[StateStore]:
    store = StateStore(db_url)
    store.migrate()
    yield store
    for each in (store, *_STORES):
        each.dispose()
    _STORES.clear()


def _manager(sb: Sandbox, state: StateStore, secret: str | None = None) -> TokenManager:
    """A task process's token manager: its own state store engine, as another process would have."""
    creds = sb.credentials()["ifs"]
    tokens = ifs_token_manager(sb.ifs_url, creds["realm"], creds["client_id"], secret or creds["client_secret"],
                               retry=FAST_RETRY)
    _STORES.append(StateStore(state.engine.url.render_as_string(hide_password=False)))
    tokens.share_through(_STORES[-1])
    return tokens


def _rows(state: StateStore) -> list[tuple[str, bytes]]:
    with state.engine.connect() as conn:
        return [(r.slot, bytes(r.sealed)) for r in conn.execute(select(token_cache.c.slot, token_cache.c.sealed))]


def test_three_processes_starting_at_once_make_one_token_request(sb: Sandbox, state: StateStore) -> None:
    creds = sb.credentials()["ifs"]
    # A slow IAM: the first process is still waiting for its token when the others look.
    add_fault(sb.ifs_url, kind="slow", system="ifs", path="openid-connect/token", delay=0.5)
    env = {**os.environ, "T_HOST": sb.ifs_url, "T_REALM": creds["realm"], "T_CLIENT": creds["client_id"],
           "T_SECRET": creds["client_secret"], "T_STATE": state.engine.url.render_as_string(hide_password=False)}
    workers = [subprocess.Popen([sys.executable, "-c", WORKER], env=env, stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(3)]
    for worker in workers:
        assert worker.stdout is not None and worker.stdout.readline().strip() == "ready"
    for worker in workers:
        assert worker.stdin is not None
        worker.stdin.write("go\n")
        worker.stdin.flush()
    results = []
    for worker in workers:
        out, err = worker.communicate(timeout=60)
        assert worker.returncode == 0, err[-2000:]
        assert creds["client_secret"] not in out + err
        results.append(json.loads(out.strip().splitlines()[-1]))

    assert sb.ifs.token_requests == 1
    assert sorted((r["requests"], r["adopted"]) for r in results) == [(0, 1), (0, 1), (1, 0)]
    assert len({r["token"] for r in results}) == 1
    assert len(_rows(state)) == 1


def test_a_revoked_token_is_replaced_once_for_every_process_sharing_it(sb: Sandbox, state: StateStore) -> None:
    first, second = _manager(sb, state), _manager(sb, state)
    reader_1, reader_2 = ifs_client(sb, token_manager=first), ifs_client(sb, token_manager=second)
    key = {"SupplierId": "10001"}
    reader_1.reads.get(*SUPPLIERS, key)
    reader_2.reads.get(*SUPPLIERS, key)
    assert (sb.ifs.token_requests, first.token_requests, second.tokens_adopted) == (1, 1, 1)

    assert admin(sb.ifs_url, "POST", "/ifs/tokens/revoke")["revoked"] == 1
    reader_1.reads.get(*SUPPLIERS, key)  # 401: drops the row it shared, asks for a new token, shares that
    reader_2.reads.get(*SUPPLIERS, key)  # 401: its old token's row is gone; adopts the new one

    assert sb.ifs.token_requests == 2
    assert (first.token_requests, first.tokens_adopted) == (2, 0)
    assert (second.token_requests, second.tokens_adopted) == (0, 2)
    assert second.get_token() == first.get_token()
    assert len(_rows(state)) == 1


def test_a_rotated_secret_finds_a_new_row_and_never_the_old_token(sb: Sandbox, state: StateStore) -> None:
    old = _manager(sb, state)
    old_token = old.get_token()
    admin(sb.ifs_url, "PATCH", "/ifs/settings", {"client_secret": "rotated-secret-0815"})
    new = _manager(sb, state, secret="rotated-secret-0815")
    new_token = new.get_token()

    assert new_token != old_token
    assert (new.token_requests, new.tokens_adopted) == (1, 0)
    assert sb.ifs.token_requests == 2
    assert len(_rows(state)) == 2


def test_an_altered_row_is_ignored_and_replaced(
        sb: Sandbox, state: StateStore, caplog: pytest.LogCaptureFixture) -> None:
    first = _manager(sb, state)
    first.get_token()
    [(slot, sealed)] = _rows(state)
    with state.engine.begin() as conn:
        conn.execute(update(token_cache).values(sealed=sealed[:-1] + bytes([sealed[-1] ^ 1])))

    second = _manager(sb, state)
    with caplog.at_level(logging.WARNING):
        second.get_token()

    assert (second.token_requests, second.tokens_adopted) == (1, 0)
    assert "does not open with its credentials" in caplog.text
    [(same_slot, replaced)] = _rows(state)
    assert same_slot == slot and replaced not in (sealed, sealed[:-1] + bytes([sealed[-1] ^ 1]))
    assert _manager(sb, state).get_token() == second.get_token()  # the replacement opens


def test_neither_token_nor_secret_is_in_the_cache_rows_or_the_logs(
        sb: Sandbox, state: StateStore, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    secret = sb.credentials()["ifs"]["client_secret"]
    first, second = _manager(sb, state), _manager(sb, state)
    token = first.get_token()
    assert second.get_token() == token
    add_fault(sb.ifs_url, kind="revoke_tokens", system="ifs", path="SupplierInfoGeneralSet", times=1)
    ifs_client(sb, token_manager=second).reads.get(*SUPPLIERS, {"SupplierId": "10001"})
    tokens = {token, second.get_token()}

    with state.engine.connect() as conn:
        dumped = b"".join(str(tuple(row)).encode() + bytes(row.sealed) for row in conn.execute(select(token_cache)))
    for clear in {*tokens, secret}:
        assert clear.encode() not in dumped
        assert hashlib.sha256(clear.encode()).hexdigest().encode() not in dumped
        assert clear not in caplog.text


def test_with_the_cache_database_down_tokens_still_come_one_per_process(
        sb: Sandbox, caplog: pytest.LogCaptureFixture) -> None:
    creds = sb.credentials()["ifs"]
    down = StateStore("postgresql+psycopg2://postgres@127.0.0.1:1/nowhere", connect_args={"connect_timeout": 2})
    tokens = ifs_token_manager(sb.ifs_url, creds["realm"], creds["client_id"], creds["client_secret"],
                               retry=FAST_RETRY)
    tokens.share_through(down)
    with caplog.at_level(logging.WARNING):
        rows = ifs_client(sb, token_manager=tokens).reads.get(*SUPPLIERS, {"SupplierId": "10001"})
    down.dispose()

    assert rows[0]["SupplierId"] == "10001"
    assert (tokens.token_requests, sb.ifs.token_requests) == (1, 1)
    assert "Token cache unavailable" in caplog.text
    assert creds["client_secret"] not in caplog.text and tokens.get_token() not in caplog.text
