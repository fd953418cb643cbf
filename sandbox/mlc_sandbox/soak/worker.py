"""A DAG worker kept alive across the soak's seeds: it imports Airflow and the connector once, then forks
one child per DAG run; the soak SIGKILLs that child (the worker process that runs the tasks), never the
worker itself.

Most of a short run's time was the new interpreter of every DAG run importing Airflow (several seconds a
run on a loaded machine); a fork starts with all of it imported. The child sets the run's environment
(the tenant's AIRFLOW_CONN_* of this seed's simulators, its state store, its staging folder), builds the
tenant's DAG from the tenants file and runs `dag.test()`: the same task code the scheduler runs.

Protocol on stdin/stdout, one JSON object a line: the soak sends {"env": {...}, "tenant": ..., "log": ...};
the worker answers {"pid": ...} at once and {"exit": pid, "status": ...} when that child ended.
"""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import IO, Any


def _child(request: dict[str, Any]) -> int:
    os.setsid()  # its own process group, so a kill takes whatever it started
    log = os.open(request["log"], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    os.dup2(log, 1)
    os.dup2(log, 2)
    os.environ.update(request["env"])
    from airflow import settings

    if settings.engine is not None:
        settings.engine.dispose(close=False)  # the parent's pooled connections are not this process's
    from ml_connector.airflow.dags.invoices import build_invoice_dag
    from ml_connector.config import load_config

    config = load_config()
    dag = build_invoice_dag(config.tenant(request["tenant"]), config.region_map(), retries=0)
    state = dag.test().state
    print(f"MLC_RUN_STATE={state}", flush=True)
    return 0


def _warm(app: Any) -> None:
    import asyncio

    import httpx

    async def first_request() -> None:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://in-process.invalid/") as client:
            await client.get("/execution/health")

    asyncio.run(first_request())


def serve(stdin: IO[str] = sys.stdin) -> None:
    # The protocol keeps the real stdout; anything else printed (logs, warnings) goes to stderr.
    stdout = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)
    import airflow.sdk  # noqa: F401  (what the forks inherit already imported)
    from airflow.models import dagbag  # noqa: F401
    from airflow.sdk.execution_time.supervisor import in_process_api_server

    import ml_connector.airflow.dags.invoices  # noqa: F401
    from airflow import settings

    # dag.test()'s in-process Execution API takes 10-15 s on a loaded machine to build and to answer its
    # first request (routes are built lazily): both done once here, through a loop that is closed again.
    # Its transport (an event-loop thread) is left to each child, since a thread does not survive a fork.
    _warm(in_process_api_server().app)
    if settings.engine is not None:
        settings.engine.dispose()
    print(json.dumps({"ready": os.getpid()}), file=stdout, flush=True)
    for line in stdin:
        request = json.loads(line)
        sys.stdout.flush()
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                code = _child(request)
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
                os._exit(code)
        print(json.dumps({"pid": pid}), file=stdout, flush=True)
        _, status = os.waitpid(pid, 0)
        print(json.dumps({"exit": pid, "status": status}), file=stdout, flush=True)


class DagWorker:
    """The soak's side of the worker: start it once, `run()` one DAG run per call, SIGKILL it if asked."""

    def __init__(self, env: dict[str, str], log: Path, ready_timeout: float = 300.0) -> None:
        self.log = log
        with log.open("ab") as err:
            self.proc = subprocess.Popen([sys.executable, "-m", "mlc_sandbox.soak.worker"], env={**os.environ, **env},
                                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=err, text=True,
                                         bufsize=1, start_new_session=True)
        self._read(ready_timeout, "ready")

    def _read(self, timeout: float, key: str) -> dict[str, Any] | None:
        assert self.proc.stdout is not None
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            ready, _, _ = select.select([self.proc.stdout], [], [], left)
            if not ready:
                return None
            line = self.proc.stdout.readline()
            if not line:
                raise RuntimeError(f"the soak's DAG worker exited ({self.proc.poll()}); see {self.log}")
            message = json.loads(line)
            if key in message:
                return dict(message)

    def run(self, tenant: str, env: dict[str, str], log: Path, kill_after: float | None, timeout: float) -> bool:
        """One DAG run in a forked child; True if it was SIGKILLed after `kill_after` seconds."""
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps({"tenant": tenant, "env": env, "log": str(log)}) + "\n")
        self.proc.stdin.flush()
        started = self._read(60, "pid")
        if started is None:
            raise RuntimeError(f"the soak's DAG worker did not fork; see {self.log}")
        wait = kill_after if kill_after is not None else timeout
        if self._read(wait, "exit") is not None:
            return False
        try:
            os.killpg(int(started["pid"]), signal.SIGKILL)
        except ProcessLookupError:
            pass
        if self._read(60, "exit") is None:
            raise RuntimeError(f"DAG run {started['pid']} did not end after SIGKILL")
        return kill_after is not None

    def close(self) -> None:
        if self.proc.poll() is None:
            assert self.proc.stdin is not None
            self.proc.stdin.close()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=30)


if __name__ == "__main__":
    serve()
