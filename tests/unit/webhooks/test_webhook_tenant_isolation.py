"""Two tenants on one receiver and one state store: a body signed with one tenant's secret is refused at
the other's URL, and neither tenant's inbox rows are visible to or changeable by the other."""

from __future__ import annotations

import pytest
from pydantic import SecretStr
from signed_requests import ReceiverEnv, notification

from ml_connector.state import StateStore
from ml_connector.webhooks import TenantWebhook

SECRETS = {"alpha": "alpha-webhook-secret", "beta": "beta-webhook-secret"}
TENANTS = {t: TenantWebhook(t, "both", SecretStr(s)) for t, s in SECRETS.items()}


class Env(ReceiverEnv):
    def post(self, url_tenant: str, secret_of: str, doc: str, task: str):  # type: ignore[override]
        return super().post(url_tenant, notification(doc, task), secret=SECRETS[secret_of], delivery=f"d-{task}")


@pytest.fixture
def env(store: StateStore) -> Env:
    return Env(TENANTS, store)


def test_a_body_signed_with_one_tenants_secret_is_refused_at_the_others_url(env: Env) -> None:
    forged = env.post("beta", "alpha", "INV-A", "t-a")
    assert forged.status_code == 401
    assert SECRETS["alpha"] not in forged.text and SECRETS["beta"] not in forged.text
    assert env.triggers == []
    assert env.store.pending_deliveries("beta") == [] and env.store.pending_deliveries("alpha") == []


def test_each_tenants_inbox_rows_are_its_own(env: Env) -> None:
    assert env.post("alpha", "alpha", "INV-A", "t-same").status_code == 200
    # The same task id at the other tenant is that tenant's own first delivery, not a duplicate.
    assert env.post("beta", "beta", "INV-B", "t-same").status_code == 200
    assert env.triggers == [("alpha", ["INV-A"]), ("beta", ["INV-B"])]
    alpha, beta = env.store.pending_deliveries("alpha"), env.store.pending_deliveries("beta")
    assert [d.document_id for d in alpha] == ["INV-A"] and [d.document_id for d in beta] == ["INV-B"]
    assert env.post("alpha", "alpha", "INV-A2", "t-alpha-only").status_code == 200
    assert env.store.mark_processed("beta", "t-alpha-only") is False  # not beta's row: untouched
    assert env.store.mark_processed("beta", "t-same") is True  # beta's own row only
    assert {d.delivery_id for d in env.store.pending_deliveries("alpha")} == {"t-same", "t-alpha-only"}
    assert env.store.pending_deliveries("beta") == []
