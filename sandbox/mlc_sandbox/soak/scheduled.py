"""The soak under a real scheduler: N tenants, each with a simulator pair of its own, for M minutes on
`AirflowStack` (api-server, scheduler, dag-processor and LocalExecutor on PostgreSQL, started as
processes), then the invariants per tenant.

While it runs: every fault class on in every sandbox (lost answers, 429/5xx, timeouts, dropped
connections, expired and revoked tokens, concurrent IFS writers forcing 412s, duplicate and
out-of-order webhooks, invalid invoices); new approved invoices arrive in batches, some with hostile ids,
and each is announced by a signed webhook to the plugin on the api-server (which triggers the tenant's
run; the tenant's schedule runs it too); all tokens are revoked at random moments; the scheduler, and
with it the LocalExecutor's workers and their task processes, is SIGKILLed at random and restarted.
At the end the faults go off and the scheduled runs finish what is left; then every invariant.
"""

from __future__ import annotations

import copy
import json
import random
import secrets
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import create_engine, make_url, text

from ml_connector.config import DEFAULT_CONFIG
from mlc_sandbox.airflow_stack import PG_ADMIN_URL, AirflowStack, StackOptions
from mlc_sandbox.runner import Sandbox, SandboxOptions
from mlc_sandbox.soak.faults import soak_rules
from mlc_sandbox.soak.invariants import TOKEN_BUDGET, Breach, TenantFigures, check_tenant

HOSTILE_IDS = ("A/1", "a%2Fb", "100%", "q?x=1", "h#1", "sp ace", "O'Brien", "ünï-€/ß", "..", "../x", "a\\b")
TASK_TYPE, TASK_SUB_TYPE = "AccountingDocuments", "WaitingForTransfer"


@dataclass
class ScheduledOptions:
    home: Path
    tenants: int = 10
    minutes: float = 10.0
    seed: int = 1
    invoices: int = 6  # per tenant at the start
    batch_every: tuple[float, float] = (30.0, 90.0)  # seconds between a tenant's new-invoice batches
    batch_size: tuple[int, int] = (1, 4)
    hostile_share: float = 0.2  # share of new invoices with a hostile id
    vendor_edits: tuple[int, int] = (0, 2)  # Basware vendors an AP user edits with each batch
    kill_every: tuple[float, float] = (60.0, 150.0)  # seconds between scheduler SIGKILLs
    revoke_every: tuple[float, float] = (45.0, 120.0)  # seconds between revocations of every token
    fault_scale: float = 0.5
    schedule: str = "*/2 * * * *"
    settle_timeout: float = 900.0
    parallelism: int = 6


@dataclass
class Tenant:
    name: str
    sandbox: Sandbox
    approved: list[str] = field(default_factory=list)
    next_batch: float = 0.0


@dataclass
class ScheduledFigures:
    tenants: int = 0
    seconds_under_fire: float = 0.0
    seconds_total: float = 0.0
    kills: int = 0
    revocations: int = 0
    batches: int = 0
    hostile_ids: int = 0
    vendor_edits: int = 0
    dag_runs: Counter[str] = field(default_factory=Counter)
    task_tries: int = 0
    faults_fired: Counter[str] = field(default_factory=Counter)
    webhook_deliveries: int = 0
    per_tenant: list[TenantFigures] = field(default_factory=list)

    @property
    def breaches(self) -> list[Breach]:
        return [b for t in self.per_tenant for b in t.breaches]

    def summary(self) -> dict[str, Any]:
        return {"tenants": self.tenants, "minutes_under_fire": round(self.seconds_under_fire / 60, 1),
                "minutes_total": round(self.seconds_total / 60, 1), "scheduler_kills": self.kills,
                "token_revocations": self.revocations, "invoice_batches": self.batches,
                "hostile_ids": self.hostile_ids, "vendor_edits": self.vendor_edits,
                "vendor_changes_in_ifs": sum(t.vendor_changes for t in self.per_tenant),
                "dag_runs": dict(self.dag_runs), "task_tries": self.task_tries,
                "invoices": sum(t.invoices for t in self.per_tenant),
                "proposals": sum(t.proposals for t in self.per_tenant),
                "quarantined": sum(t.quarantined for t in self.per_tenant),
                "tokens_used": sum(sum(t.tokens_used.values()) for t in self.per_tenant),
                "webhook_deliveries": self.webhook_deliveries,
                "faults_fired": dict(sorted(self.faults_fired.items())), "breaches": len(self.breaches)}


def tenants_file(path: Path, names: list[str], schedule: str, vendor_schedule: str = "*/3 * * * *") -> Path:
    """The demo tenant's mapping once per soak tenant, each on its own connections, run every `schedule`
    (the vendor DAG every `vendor_schedule`)."""
    base = yaml.safe_load(Path(DEFAULT_CONFIG).read_text())
    demo = base["tenants"][0]
    tenants = []
    for name in names:
        t = copy.deepcopy(demo)
        t.update(tenant_id=name, ifs_conn_id=f"mlc_{name}_ifs", basware_conn_id=f"mlc_{name}_basware",
                 trigger={"mode": "both", "schedule": schedule})
        t["master_data"]["schedule"] = "0 0 1 1 *"  # not part of this soak
        t["vendors"] = {"schedule": vendor_schedule}
        tenants.append(t)
    path.write_text(yaml.safe_dump({**base, "tenants": tenants}, sort_keys=False))
    return path


def _connections(tenant: Tenant, secret: str) -> dict[str, str]:
    creds, prefix = tenant.sandbox.credentials(), f"AIRFLOW_CONN_MLC_{tenant.name.upper()}"
    return {
        f"{prefix}_BASWARE": json.dumps({"conn_type": "basware", "host": tenant.sandbox.basware_url,
                                         "login": creds["basware"]["client_id"],
                                         "password": creds["basware"]["client_secret"],
                                         "extra": {"region": "sandbox", "webhook_secret": secret}}),
        f"{prefix}_IFS": json.dumps({"conn_type": "ifs_cloud", "host": tenant.sandbox.ifs_url,
                                     "login": creds["ifs"]["client_id"], "password": creds["ifs"]["client_secret"],
                                     "extra": {"realm": creds["ifs"]["realm"]}}),
    }


def _state_db(name: str) -> str:
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)


def _drop_db(name: str) -> None:
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _add_batch(tenant: Tenant, rng: random.Random, opts: ScheduledOptions, figures: ScheduledFigures) -> None:
    """New approved invoices in Basware (the simulator announces each by a signed webhook)."""
    count = rng.randint(*opts.batch_size)
    hostile = [i for i in range(count) if rng.random() < opts.hostile_share]
    ids = tenant.sandbox.basware.add_documents(count - len(hostile))
    docs = []
    for _ in hostile:
        doc = tenant.sandbox.dataset.invoice(rng.randrange(opts.invoices))
        doc["invoiceId"] = f"{rng.choice(HOSTILE_IDS)}-{uuid.uuid4().hex[:8]}"
        doc["invoiceNumber"] = f"H-{uuid.uuid4().hex[:10]}"
        docs.append(doc)
    if docs:
        ids += tenant.sandbox.basware.ctx.documents.add_documents(docs)
    tenant.approved += ids
    figures.batches += 1
    # Vendors edited in Basware: the vendor DAG updates their IFS suppliers with If-Match, where the
    # concurrent-writer fault saves the row first (412) and every change must get its audit entry.
    vendors = tenant.sandbox.dataset.basware_vendors
    for _ in range(rng.randint(*opts.vendor_edits)):
        code = rng.choice(vendors).supplier_id
        tenant.sandbox.basware.ctx.vendors.manual_edit(code, {"name": f"Soak Vendor {uuid.uuid4().hex[:8]}"})
        figures.vendor_edits += 1
    figures.hostile_ids += len(docs)


def _task_tries(stack_db: str, tenant: str) -> int:
    """Every task try of the tenant's DAGs, each in a process of its own."""
    engine = create_engine(stack_db)
    query = text("SELECT count(*) FROM task_instance WHERE dag_id LIKE :d AND start_date IS NOT NULL")
    history = text("SELECT count(*) FROM task_instance_history WHERE dag_id LIKE :d AND start_date IS NOT NULL")
    with engine.connect() as conn:
        tries = sum(int(conn.execute(q, {"d": f"mlc\\_{tenant}\\_%"}).scalar() or 0) for q in (query, history))
    engine.dispose()
    return tries


def _dag_runs(stack_db: str) -> Counter[str]:
    engine = create_engine(stack_db)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT state, count(*) FROM dag_run GROUP BY state")).all()
    engine.dispose()
    return Counter({str(state): int(n) for state, n in rows})


def run_scheduled(opts: ScheduledOptions, progress: Any = print) -> ScheduledFigures:
    rng, figures, started = random.Random(f"scheduled:{opts.seed}"), ScheduledFigures(), time.monotonic()
    opts.home.mkdir(parents=True, exist_ok=True)
    names = [f"soak{n:02d}" for n in range(1, opts.tenants + 1)]
    state_name = f"mlc_soak_state_{secrets.token_hex(3)}"
    tenants: list[Tenant] = []
    try:
        for n, name in enumerate(names):
            sandbox = Sandbox(SandboxOptions(seed=opts.seed * 100 + n, invoices=opts.invoices, suppliers=40,
                                             faults="chaos")).start()
            tenants.append(Tenant(name, sandbox, [sandbox.dataset.invoice_id(i) for i in range(opts.invoices)]))
        state_url = _state_db(state_name)
        env = {"ML_CONNECTOR_TENANTS": str(tenants_file(opts.home / "tenants.yaml", names, opts.schedule)),
               "ML_CONNECTOR_STAGING": str(opts.home / "staging"),
               "AIRFLOW_CONN_ML_CONNECTOR_STATE": json.dumps({"conn_type": "postgres", "host": "127.0.0.1",
                                                              "login": make_url(state_url).username or "postgres",
                                                              "schema": state_name, "port": 5432})}
        webhook_secrets = {t.name: secrets.token_urlsafe(32) for t in tenants}
        for t in tenants:
            env.update(_connections(t, webhook_secrets[t.name]))
        stack = AirflowStack(StackOptions(home=opts.home / "airflow", executor="LocalExecutor", env=env,
                                          parallelism=opts.parallelism))
        with stack:
            progress(f"stack ready after {time.monotonic() - started:.0f} s: {stack.url}, logs {stack.logs}")
            for t in tenants:
                t.sandbox.basware.ctx.subscriptions.add({
                    "subscriptionId": str(uuid.uuid4()), "taskType": TASK_TYPE, "taskSubType": TASK_SUB_TYPE,
                    "subscriptionType": "Webhook", "webhookAuthenticationToken": webhook_secrets[t.name],
                    "notificationWebhookURL": f"{stack.url}/ml-connector/webhooks/basware/{t.name}"})
                t.sandbox.injector.clear()
                for rule in soak_rules(opts.fault_scale):
                    t.sandbox.injector.add(rule)
                t.next_batch = time.monotonic() + rng.uniform(*opts.batch_every)
            _under_fire(stack, tenants, rng, opts, figures, progress)
            for t in tenants:
                figures.faults_fired.update(str(e["kind"]) for e in t.sandbox.injector.log)
                t.sandbox.injector.clear()
            _settle(stack, tenants, state_url, opts, figures, progress)
            figures.dag_runs = _dag_runs(stack._db_url())
            figures.task_tries = sum(_task_tries(stack._db_url(), t.name) for t in tenants)
    finally:
        for t in tenants:
            figures.webhook_deliveries += len(t.sandbox.basware.webhook_deliveries)
            t.sandbox.basware.close()
            t.sandbox.stop()
        _drop_db(state_name)
    figures.tenants = len(tenants)
    figures.seconds_total = time.monotonic() - started
    return figures


def _under_fire(stack: AirflowStack, tenants: list[Tenant], rng: random.Random, opts: ScheduledOptions,
                figures: ScheduledFigures, progress: Any) -> None:
    begin = time.monotonic()
    end = begin + opts.minutes * 60
    next_kill = begin + rng.uniform(*opts.kill_every)
    next_revoke = begin + rng.uniform(*opts.revoke_every)
    next_report = begin + 60
    while (now := time.monotonic()) < end:
        for t in tenants:
            if now >= t.next_batch:
                _add_batch(t, rng, opts, figures)
                t.next_batch = now + rng.uniform(*opts.batch_every)
        if now >= next_revoke:
            victim = rng.choice(tenants)
            victim.sandbox.basware.ctx.tokens.revoke_all()
            victim.sandbox.ifs.revoke_tokens()
            figures.revocations += 1
            next_revoke = now + rng.uniform(*opts.revoke_every)
        if now >= next_kill:
            stack.kill("scheduler")  # the LocalExecutor's workers and their task processes go with it
            figures.kills += 1
            progress(f"  {now - begin:.0f} s: scheduler SIGKILLed (kill {figures.kills}), restarting")
            stack.restart("scheduler")
            next_kill = now + rng.uniform(*opts.kill_every)
        if now >= next_report:
            progress(f"  {now - begin:.0f} s under fire: {figures.batches} batches, {figures.kills} kills, "
                     f"{figures.revocations} revocations, proposals "
                     f"{sum(sum(t.sandbox.ifs.proposal_counts().values()) for t in tenants)}")
            next_report = now + 60
        time.sleep(0.5)
    figures.seconds_under_fire = time.monotonic() - begin


def _settle(stack: AirflowStack, tenants: list[Tenant], state_url: str, opts: ScheduledOptions,
            figures: ScheduledFigures, progress: Any) -> None:
    """Faults off; the scheduled runs finish what is left. Waits until every tenant keeps every invariant
    (checked every 30 s) or the timeout, then records the last check of each tenant."""
    begin = time.monotonic()
    results: dict[str, TenantFigures] = {}
    while True:
        for t in tenants:
            results[t.name] = check_tenant(t.name, t.sandbox, state_url, approved=t.approved)
        # A token-budget breach stays one: only the other invariants are waited for.
        failing = [name for name, r in results.items() if any(b.invariant != TOKEN_BUDGET for b in r.breaches)]
        waited = time.monotonic() - begin
        progress(f"  settling {waited:.0f} s: {len(failing)} tenants not settled {failing[:5]}")
        if not failing or waited > opts.settle_timeout:
            break
        time.sleep(30)
    figures.per_tenant = [results[t.name] for t in tenants]
