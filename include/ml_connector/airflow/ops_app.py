"""The operations page as Airflow's API server serves it (mounted by plugins/ml_connector_plugin.py).

Behind Airflow's own login: the user is the one Airflow's auth manager resolves from the request (the
UI's `_token` cookie or a bearer token), and each tenant is shown only to users who may read the runs
of its invoice DAG; replay needs permission to create runs of that DAG. The replay form carries a CSRF
token bound to the user. The figures come from ml_connector.ops (plain Python); this layer is thin.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import time
from collections.abc import Callable
from html import escape
from typing import Annotated, Any, Literal
from urllib.parse import parse_qs, urlencode, urlsplit

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from ml_connector.airflow.dags.invoices import invoice_dag_id
from ml_connector.airflow.dags.master_data import master_data_dag_id
from ml_connector.airflow.dags.vendors import vendor_dag_id
from ml_connector.config import ConfigError, ConnectorConfig, TenantConfig, load_config
from ml_connector.ops.overview import DagRunRow, tenant_overview
from ml_connector.ops.page import TraceView, render_page, replay_notice
from ml_connector.state import StateStore
from ml_connector.sync.trace import trace_invoices

log = logging.getLogger(__name__)

CSRF_TTL_S = 8 * 3600
MAX_FORM_BYTES = 4096
# Each tenant's DAGs as the page names them, with the functions that name them in dags/.
TENANT_DAGS: tuple[tuple[str, Callable[[str], str]], ...] = (
    ("invoices", invoice_dag_id), ("vendors", vendor_dag_id), ("master data", master_data_dag_id))


# -- who is asking, and may they ------------------------------------------------------------------
async def current_user(request: Request) -> Any:
    """Airflow's own resolution of the request's user (a bearer token, else the UI's `_token` cookie);
    refused with 401 or 403 as Airflow's own endpoints are. Imported late: every Airflow component loads
    the plugin, only the API server serves it."""
    from airflow.api_fastapi.core_api.security import get_user
    from fastapi.security import HTTPAuthorizationCredentials

    scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
    bearer = (HTTPAuthorizationCredentials(scheme=scheme, credentials=credentials.strip())
              if scheme.lower() == "bearer" and credentials.strip() else None)
    return await get_user(request, None, bearer)


def may(user: Any, method: Literal["GET", "POST"], tenant_id: str) -> bool:
    """The auth manager's answer for the runs of the tenant's invoice DAG (GET: read, POST: create)."""
    from airflow.api_fastapi.app import get_auth_manager
    from airflow.api_fastapi.auth.managers.models.resource_details import DagAccessEntity, DagDetails

    return bool(get_auth_manager().is_authorized_dag(method=method, access_entity=DagAccessEntity.RUN,
                                                     details=DagDetails(id=invoice_dag_id(tenant_id)),
                                                     user=user))


User = Annotated[Any, Depends(current_user)]


class CsrfTokens:
    """`<expiry>.<hmac(user id, expiry)>`: no server state, and useless to anyone but that user."""

    def __init__(self, key: bytes, clock: Callable[[], float] = time.time) -> None:
        self._key, self._clock = key, clock

    def issue(self, user_id: str) -> str:
        expiry = str(int(self._clock()) + CSRF_TTL_S)
        return f"{expiry}.{self._sign(user_id, expiry)}"

    def valid(self, user_id: str, token: str) -> bool:
        expiry, _, signature = token.partition(".")
        if not expiry.isdigit() or int(expiry) < self._clock():
            return False
        return hmac.compare_digest(signature, self._sign(user_id, expiry))

    def _sign(self, user_id: str, expiry: str) -> str:
        return hmac.new(self._key, f"mlc-ops-csrf\0{user_id}\0{expiry}".encode(), hashlib.sha256).hexdigest()


def csrf_key() -> bytes:
    """From the JWT secret every api-server worker shares; a random one when none is configured (then
    Airflow's own tokens work only in this process, too)."""
    from airflow.configuration import conf

    secret = conf.get("api_auth", "jwt_secret", fallback="") or ""
    return hashlib.sha256(b"mlc-ops\0" + secret.encode()).digest() if secret else secrets.token_bytes(32)


def same_origin(request: Request) -> bool:
    """A browser's Origin (sent with every form POST) must name this server; absent means no browser."""
    origin = request.headers.get("origin")
    if origin is None:
        return True
    return urlsplit(origin).netloc == request.headers.get("host", "")


# -- what is shown -------------------------------------------------------------------------------
def dag_runs(tenant: TenantConfig, per_dag: int = 5) -> list[DagRunRow]:
    """The latest runs of the tenant's three DAGs, from Airflow's metadata DB (the API server has it)."""
    from airflow.models import DagRun
    from airflow.utils.session import create_session
    from sqlalchemy import select

    rows: list[DagRunRow] = []
    with create_session() as session:
        for kind, name in TENANT_DAGS:
            ident = name(tenant.tenant_id)
            stmt = select(DagRun).where(DagRun.dag_id == ident).order_by(DagRun.id.desc()).limit(per_dag)
            for run in session.scalars(stmt):
                rows.append(DagRunRow(kind, ident, run.run_id, str(run.state), str(run.run_type),
                                      run.start_date, run.end_date))
    return rows


def _notice(params: dict[str, str]) -> str | None:
    """Built from the outcome code only, so a crafted link cannot put words on the page."""
    if "replayed" not in params:
        return None
    return replay_notice(params.get("tenant", ""), params["replayed"], params.get("outcome", ""))


Replay = Callable[[ConnectorConfig, TenantConfig, str], dict[str, Any]]


class OpsPage:
    """What each route does; the routes in create_app only hand over the request and the user."""

    def __init__(self, config: Callable[[], ConnectorConfig], store: Callable[[], StateStore], replay: Replay,
                 csrf: CsrfTokens | None) -> None:
        self._config, self._store, self._replay, self._csrf = config, store, replay, csrf

    def csrf(self) -> CsrfTokens:
        if self._csrf is None:  # late: the JWT secret is Airflow configuration, read on the first request
            self._csrf = CsrfTokens(csrf_key())
        return self._csrf

    def visible(self, user: Any) -> tuple[ConnectorConfig, list[TenantConfig]]:
        loaded = self._config()
        return loaded, [t for t in loaded.tenants if may(user, "GET", t.tenant_id)]

    def page(self, params: dict[str, str], user: Any) -> HTMLResponse:
        """All tenants the user may see, or the one of `?tenant=` (the trace form sends it too)."""
        _, tenants = self.visible(user)
        state = self._store()
        shown = [t for t in tenants if t.tenant_id == params["tenant"]] if params.get("tenant") else tenants
        overviews = [tenant_overview(state, t.tenant_id, dag_runs(t)) for t in shown]
        trace = None
        wanted, invoice = params.get("tenant", ""), (params.get("invoice") or "").strip()
        if invoice and wanted in {t.tenant_id for t in tenants}:
            trace = TraceView(wanted, invoice, trace_invoices(state, wanted, invoice))
        can_replay = {t.tenant_id for t in tenants if may(user, "POST", t.tenant_id)}
        html = render_page(overviews, user=user.get_name(), csrf_token=self.csrf().issue(user.get_id()),
                           can_replay=can_replay, trace=trace, notice=_notice(params),
                           tenants=[t.tenant_id for t in tenants])
        return HTMLResponse(html, headers={"Cache-Control": "no-store", "X-Frame-Options": "SAMEORIGIN",
                                           "Referrer-Policy": "same-origin"})

    def overview(self, tenant_id: str, user: Any) -> dict[str, Any]:
        _, tenants = self.visible(user)
        tenant = next((t for t in tenants if t.tenant_id == tenant_id), None)
        if tenant is None:
            raise HTTPException(404, f"no tenant {tenant_id!r} you may read")
        return tenant_overview(self._store(), tenant_id, dag_runs(tenant)).to_json()

    async def replay(self, request: Request, user: Any) -> Response:
        body = await request.body()
        if len(body) > MAX_FORM_BYTES:
            raise HTTPException(413, "form too large")
        form = {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace")).items()}
        if not same_origin(request) or not self.csrf().valid(user.get_id(), form.get("csrf_token", "")):
            raise HTTPException(403, "the form is stale or not from this page: reload the page and try again")
        tenant_id, invoice_id = form.get("tenant", ""), form.get("invoice_id", "").strip()
        loaded = self._config()
        tenant = next((t for t in loaded.tenants if t.tenant_id == tenant_id), None)
        if tenant is None or not may(user, "GET", tenant_id):
            raise HTTPException(404, f"no tenant {tenant_id!r} you may read")
        if not may(user, "POST", tenant_id):
            raise HTTPException(403, f"you may not run the invoice DAG of tenant {tenant_id!r}")
        if not invoice_id:
            raise HTTPException(400, "invoice_id missing")
        outcome = await _run_replay(self._replay, loaded, tenant, invoice_id)
        log.info("Operations page: %s replayed invoice %s of tenant %s: %s", user.get_name(), invoice_id,
                 tenant_id, outcome)
        query = urlencode({"tenant": tenant_id, "invoice": invoice_id, "replayed": invoice_id, "outcome": outcome})
        return RedirectResponse(f"./?{query}#trace", status_code=303)


async def refused(request: Request, exc: HTTPException) -> Response:
    """Airflow's refusals as JSON, except a browser that is not signed in: it gets a link to the login."""
    if exc.status_code != 401 or "text/html" not in request.headers.get("accept", ""):
        return JSONResponse({"detail": exc.detail}, status_code=exc.status_code)
    from airflow.api_fastapi.app import get_auth_manager

    login = escape(get_auth_manager().get_url_login(next_url=str(request.url)))
    return HTMLResponse(f'<!doctype html><p>Not signed in. <a href="{login}">Sign in to Airflow</a>.</p>',
                        status_code=401)


def create_app(config: Callable[[], ConnectorConfig] = load_config, store: Callable[[], StateStore] | None = None,
               replay: Replay | None = None, csrf: CsrfTokens | None = None) -> FastAPI:
    """Cheap to call at import: nothing touches the config, a connection or a database until a request."""
    if store is None:
        from ml_connector.airflow.webhook_app import state_store

        store = state_store
    if replay is None:
        from ml_connector.airflow.operations import replay as replay_invoices

        replay = replay_invoices
    ops = OpsPage(config, store, replay, csrf)
    app = FastAPI(title="ml-connector operations", docs_url=None, redoc_url=None, openapi_url=None)
    app.add_exception_handler(HTTPException, refused)  # type: ignore[arg-type]

    @app.get("/", response_class=HTMLResponse)
    def page(request: Request, user: User) -> HTMLResponse:
        return ops.page(dict(request.query_params), user)

    @app.get("/api/tenants/{tenant_id}")
    def overview_json(tenant_id: str, user: User) -> dict[str, Any]:
        return ops.overview(tenant_id, user)

    @app.post("/replay")
    async def replay_one(request: Request, user: User) -> Response:
        return await ops.replay(request, user)

    return app


async def _run_replay(replay: Callable[[ConnectorConfig, TenantConfig, str], dict[str, Any]],
                      config: ConnectorConfig, tenant: TenantConfig, invoice_id: str) -> str:
    """The outcome code of one invoice's replay; it calls Basware and IFS, so off the event loop."""
    from starlette.concurrency import run_in_threadpool

    try:
        result = await run_in_threadpool(replay, config, tenant, invoice_id)
    except ConfigError as exc:
        log.warning("Replay of invoice %s of tenant %s refused: %s", invoice_id, tenant.tenant_id, exc)
        return "config_error"
    return str(result["results"].get(invoice_id, {}).get("outcome", "not_quarantined"))
