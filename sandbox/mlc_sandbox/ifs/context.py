"""What the routers share: the simulator's stores, settings and helpers. Built once by `IfsSimulator`."""

from __future__ import annotations

from dataclasses import dataclass, field

from mlc_sandbox.faults import FaultInjector
from mlc_sandbox.ifs.auth import TokenService
from mlc_sandbox.ifs.clock import SimClock
from mlc_sandbox.ifs.settings import IfsSettings
from mlc_sandbox.ifs.store import Database
from mlc_sandbox.ifs.unguarded import UnguardedLog
from mlc_sandbox.request_log import RequestLog
from mlc_sandbox.seed import Dataset


@dataclass
class SimContext:
    dataset: Dataset
    settings: IfsSettings
    injector: FaultInjector
    clock: SimClock
    db: Database
    tokens: TokenService
    log: RequestLog
    unguarded: UnguardedLog = field(default_factory=UnguardedLog)  # mutations without If-Match
