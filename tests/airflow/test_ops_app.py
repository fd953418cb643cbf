"""The operations page's CSRF tokens: bound to one user, signed, and expiring."""

from __future__ import annotations

from ml_connector.airflow.ops_app import CSRF_TTL_S, CsrfTokens


def test_a_csrf_token_is_valid_for_its_user_until_it_expires() -> None:
    now = [1_000_000.0]
    tokens = CsrfTokens(b"k" * 32, clock=lambda: now[0])
    token = tokens.issue("admin")
    assert tokens.valid("admin", token)
    assert not tokens.valid("viewer", token)
    assert not CsrfTokens(b"other-key" * 4, clock=lambda: now[0]).valid("admin", token)
    expiry, _, signature = token.partition(".")
    assert not tokens.valid("admin", f"{int(expiry) + 3600}.{signature}")  # a longer life is not signed
    for junk in ("", ".", "x.y", f"{expiry}.", "1." + signature):
        assert not tokens.valid("admin", junk)
    now[0] += CSRF_TTL_S + 1
    assert not tokens.valid("admin", token)
