"""The session check itself (tests/conftest.py, IfMatchGuard): it cannot pass by watching nothing."""

from __future__ import annotations

from typing import Any

import pytest

from mlc_sandbox.runner import OBSERVERS, Sandbox, SandboxOptions

from .conftest import SUPPLIERS, Factory

ONE = f"{SUPPLIERS}('10001')"


def fresh_guard(if_match_guard: Any) -> Any:
    return type(if_match_guard)()


def test_every_sandbox_is_watched_by_the_session_guard(if_match_guard: Any) -> None:
    assert if_match_guard in OBSERVERS


@pytest.mark.sends_without_if_match
def test_an_unmarked_test_that_sends_one_fails(make_ifs: Factory, if_match_guard: Any) -> None:
    guard = fresh_guard(if_match_guard)
    ifs = make_ifs()
    guard.watch(ifs.sim)
    guard.begin_test(marked=False)
    assert ifs.patch(ONE, {"Name": "x"}, None).status_code == 204
    with pytest.raises(pytest.fail.Exception, match=r"sent mutations without If-Match.*PATCH .*\('10001'\)"):
        guard.after_test("test_x")
    guard.check(ifs.sim, "at its shutdown")  # reported once, not again at shutdown


@pytest.mark.sends_without_if_match
def test_a_marked_test_may_but_what_is_sent_outside_any_test_fails_at_shutdown(
        make_ifs: Factory, if_match_guard: Any) -> None:
    guard = fresh_guard(if_match_guard)
    ifs = make_ifs()
    guard.watch(ifs.sim)
    assert ifs.delete(ONE, None).status_code == 204  # e.g. a module fixture's setup
    guard.begin_test(marked=True)
    assert ifs.patch(f"{SUPPLIERS}('10002')", {"Name": "x"}, None).status_code == 204
    guard.after_test("test_marked")  # the test's own is allowed
    with pytest.raises(AssertionError, match=r"at its shutdown: .*DELETE .*\('10001'\)"):
        guard.check(ifs.sim, "at its shutdown")


@pytest.mark.sends_without_if_match
def test_a_sandbox_reports_at_its_shutdown(if_match_guard: Any) -> None:
    guard = fresh_guard(if_match_guard)
    OBSERVERS.append(guard)
    try:
        sandbox = Sandbox(SandboxOptions(invoices=1, suppliers=5)).start()
        assert id(sandbox.ifs) in guard.live
        sandbox.ifs.ctx.unguarded.add({"method": "PATCH", "path": "/x", "batch_part": None})
        with pytest.raises(AssertionError, match="PATCH /x"):
            sandbox.stop()
    finally:
        OBSERVERS.remove(guard)
