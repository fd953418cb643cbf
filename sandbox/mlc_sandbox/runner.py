"""Both simulators from one set of options: used by `ml-connector simulate`, the demo and the tests."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from mlc_sandbox.basware import BaswareSettings, BaswareSimulator
from mlc_sandbox.faults import FaultInjector, profile
from mlc_sandbox.ifs import IfsSettings, IfsSimulator
from mlc_sandbox.issued_tokens import TokenLog
from mlc_sandbox.seed import Dataset, SeedConfig, build_dataset
from mlc_sandbox.server import CannotListen, ThreadedServer


@dataclass
class SandboxOptions:
    seed: int = 42
    invoices: int = 200
    suppliers: int = 300
    faults: str = "none"
    host: str = "127.0.0.1"
    basware_port: int = 0
    ifs_port: int = 0
    ifs_token_ttl: int = 180
    ifs_page_limit: int = 5000
    # Off: the Basware simulator delivers webhooks only to loopback addresses.
    allow_external_webhooks: bool = False
    ifs_missing_if_match: Literal["upsert", "reject"] = "upsert"  # see IfsSettings.missing_if_match
    ifs_profile: str = "ifs-cloud"  # IFS naming profile served (mlc_sandbox.ifs.profiles)
    # Secrets a test chooses, so it knows what to look for (None: the simulators' defaults), and a file
    # where both simulators append each access token they issue. From the environment by default, so
    # whatever builds its own Sandbox (the demo, the soak) takes them without an option of its own.
    basware_client_secret: str | None = field(default_factory=lambda: _env("MLC_SANDBOX_BASWARE_CLIENT_SECRET"))
    ifs_client_secret: str | None = field(default_factory=lambda: _env("MLC_SANDBOX_IFS_CLIENT_SECRET"))
    token_log: str | None = field(default_factory=lambda: _env("MLC_SANDBOX_TOKEN_LOG"))


def _env(name: str) -> str | None:
    return os.environ.get(name) or None


class SandboxObserver(Protocol):
    """Told when a sandbox starts and after it stopped (the test suite checks every simulator's record)."""

    def started(self, sandbox: Sandbox) -> None: ...

    def stopped(self, sandbox: Sandbox) -> None: ...


# Observers of every Sandbox in this process; empty unless a caller (the test suite) adds one.
OBSERVERS: list[SandboxObserver] = []


class Sandbox:
    """The Basware and IFS simulators on localhost, sharing one seed data set and one fault injector."""

    def __init__(self, options: SandboxOptions | None = None) -> None:
        self.options = opts = options or SandboxOptions()
        fault_profile = profile(opts.faults)
        self.dataset: Dataset = build_dataset(SeedConfig(
            seed=opts.seed, invoices=opts.invoices, suppliers=opts.suppliers,
            invalid_share=fault_profile.invalid_share))
        self.injector = FaultInjector(fault_profile.rules, seed=opts.seed)
        self.basware = BaswareSimulator(self.dataset, self.injector,
                                        BaswareSettings(allow_external_webhooks=opts.allow_external_webhooks))
        self.ifs = IfsSimulator(self.dataset, self.injector,
                                IfsSettings(token_ttl=opts.ifs_token_ttl, page_limit=opts.ifs_page_limit,
                                            missing_if_match=opts.ifs_missing_if_match),
                                profile=opts.ifs_profile)
        if opts.basware_client_secret:
            self.basware.settings.client_secret = opts.basware_client_secret
        if opts.ifs_client_secret:
            self.ifs.settings.client_secret = opts.ifs_client_secret
        if opts.token_log:
            tokens = TokenLog(opts.token_log)
            self.basware.ctx.tokens.listeners.append(tokens)
            self.ifs.ctx.tokens.listeners.append(tokens)
        self._servers: list[ThreadedServer] = []

    def start(self) -> Sandbox:
        try:
            self._basware_server = self._serve(self.basware.app, self.options.basware_port, "Basware", "--basware-port")
            self._ifs_server = self._serve(self.ifs.app, self.options.ifs_port, "IFS", "--ifs-port")
        except CannotListen:
            self.stop()
            raise
        for observer in list(OBSERVERS):
            observer.started(self)
        return self

    def _serve(self, app: Any, port: int, name: str, option: str) -> ThreadedServer:
        try:
            server = ThreadedServer(app, port, self.options.host).start()
        except CannotListen as exc:
            raise CannotListen(exc.errno, f"{name} simulator: {exc.strerror}; stop what uses the port or choose "
                                          f"another ({option} 0 picks a free one)") from None
        self._servers.append(server)
        return server

    def stop(self) -> None:
        running = bool(self._servers)
        while self._servers:
            self._servers.pop().stop()
        if running:  # after the servers are down, so an observer that raises leaves nothing running
            for observer in list(OBSERVERS):
                observer.stopped(self)

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def basware_url(self) -> str:
        return self._basware_server.url

    @property
    def ifs_url(self) -> str:
        return self._ifs_server.url

    def credentials(self) -> dict[str, Any]:
        """The sandbox's own credentials: printed so a user can try it with curl at once."""
        bw, ifs = self.basware.settings, self.ifs.settings
        return {
            "basware": {"base_url": self.basware_url, "token_url": f"{self.basware_url}/v1/tokens",
                        "client_id": bw.client_id, "client_secret": bw.client_secret},
            "ifs": {"base_url": self.ifs_url, "realm": ifs.realm,
                    "token_url": f"{self.ifs_url}/auth/realms/{ifs.realm}/protocol/openid-connect/token",
                    "client_id": ifs.client_id, "client_secret": ifs.client_secret},
        }
