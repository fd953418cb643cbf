"""Real Airflow 3 components as processes, for the soak and the real-components test (test bed, not product).

`AirflowStack` makes a fresh PostgreSQL database and an AIRFLOW_HOME of its own, runs `airflow db migrate`,
then starts api-server, scheduler and dag-processor (and, with CeleryExecutor, a Celery worker on Redis),
each in its own process group with its log kept in the home. Connections and the tenants file come from the
environment it is given (AIRFLOW_CONN_*, ML_CONNECTOR_TENANTS). `kill()` SIGKILLs one component's whole
process group (a lost worker or scheduler) and `restart()` starts it again; `stop()` ends everything.
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from sqlalchemy import create_engine, make_url, text

REPO = Path(__file__).resolve().parents[2]
PG_ADMIN_URL = os.environ.get("MLC_TEST_POSTGRES_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("MLC_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
Executor = Literal["LocalExecutor", "CeleryExecutor"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class StackOptions:
    home: Path
    executor: Executor = "LocalExecutor"
    env: dict[str, str] = field(default_factory=dict)  # AIRFLOW_CONN_*, ML_CONNECTOR_TENANTS, ...
    dags_folder: Path = REPO / "dags"
    plugins_folder: Path = REPO / "plugins"
    parallelism: int = 4
    ready_timeout: float = 240.0


class AirflowStack:
    """api-server, scheduler, dag-processor (+ Celery worker) on a fresh PostgreSQL database."""

    def __init__(self, options: StackOptions) -> None:
        self.options = options
        self.port = free_port()
        self.db_name = f"mlc_stack_{os.getpid()}_{secrets.token_hex(3)}"
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self.logs = options.home / "logs-stack"
        self.env = self._environment()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _db_url(self) -> str:
        return make_url(PG_ADMIN_URL).set(database=self.db_name).render_as_string(hide_password=False)

    @property
    def db_url(self) -> str:
        """The stack's metadata DB (PostgreSQL), for checks made while the stack is up."""
        return self._db_url()

    def _environment(self) -> dict[str, str]:
        o = self.options
        env = {**os.environ, **o.env,
               "AIRFLOW_HOME": str(o.home),
               "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
               "AIRFLOW__CORE__EXECUTOR": o.executor,
               "AIRFLOW__CORE__PARALLELISM": str(o.parallelism),
               "AIRFLOW__CORE__DAGS_FOLDER": str(o.dags_folder),
               "AIRFLOW__CORE__PLUGINS_FOLDER": str(o.plugins_folder),
               "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
               "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": self._db_url(),
               "AIRFLOW__API__PORT": str(self.port),
               "AIRFLOW__API__BASE_URL": self.url,
               "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{self.url}/execution/",
               "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_urlsafe(32),
               "AIRFLOW__CORE__FERNET_KEY": "n1qmZ7bgmVJ5jR2W8x9nM0W4hT0o0gQ1lJY6m9x1bJk=",
               "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "True",
               "AIRFLOW__SCHEDULER__SCHEDULER_HEARTBEAT_SEC": "2",
               # As docker-compose.yaml recommends: the next task is queued sooner after one ends.
               "AIRFLOW__SCHEDULER__SCHEDULER_IDLE_SLEEP_TIME": "0.25",
               "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT": "30",
               "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "5",
               "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(o.home / "logs")}
        if o.executor == "CeleryExecutor":
            env["AIRFLOW__CELERY__BROKER_URL"] = REDIS_URL
            env["AIRFLOW__CELERY__RESULT_BACKEND"] = "db+" + self._db_url()
            env["AIRFLOW__CELERY__WORKER_CONCURRENCY"] = str(o.parallelism)
            # A queue of this stack's own, so a worker of another stack on the same Redis never takes its tasks.
            env["AIRFLOW__CELERY__DEFAULT_QUEUE"] = env["AIRFLOW__OPERATORS__DEFAULT_QUEUE"] = f"mlc_{self.db_name}"
            env["AIRFLOW__CELERY__OPERATION_TIMEOUT"] = "30"  # the 1 s default times out on a loaded machine
        return env

    def components(self) -> dict[str, list[str]]:
        airflow = [sys.executable, "-m", "airflow"]
        parts = {"api-server": [*airflow, "api-server", "--port", str(self.port), "--host", "127.0.0.1"],
                 "scheduler": [*airflow, "scheduler"],
                 "dag-processor": [*airflow, "dag-processor"]}
        if self.options.executor == "CeleryExecutor":
            queue = self.env["AIRFLOW__CELERY__DEFAULT_QUEUE"]
            parts["celery-worker"] = [*airflow, "celery", "worker", "--queues", queue,
                                      "--concurrency", str(self.options.parallelism)]
        return parts

    # -- lifecycle ------------------------------------------------------------------------------------
    def start(self) -> AirflowStack:
        self.logs.mkdir(parents=True, exist_ok=True)
        admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{self.db_name}"'))
        admin.dispose()
        self.airflow("db", "migrate", timeout=600)
        for name in self.components():
            self._spawn(name)
        self.wait_ready()
        return self

    def _spawn(self, name: str) -> None:
        with (self.logs / f"{name}.log").open("ab") as out:
            self.procs[name] = subprocess.Popen(self.components()[name], env=self.env, stdout=out,
                                                stderr=subprocess.STDOUT, start_new_session=True,
                                                cwd=self.options.home)

    def airflow(self, *args: str, timeout: float = 120.0) -> str:
        """One `airflow` CLI command against this stack; its stdout, or RuntimeError with its output."""
        done = subprocess.run([sys.executable, "-m", "airflow", *args], env=self.env, capture_output=True,
                              text=True, timeout=timeout, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"airflow {' '.join(args)} failed:\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}")
        return done.stdout

    def wait_ready(self) -> None:
        """The api-server's health endpoint reports the metadatabase, scheduler and dag-processor healthy."""
        import json

        deadline, last = time.monotonic() + self.options.ready_timeout, ""
        while time.monotonic() < deadline:
            self._raise_if_dead()
            try:
                with urllib.request.urlopen(f"{self.url}/api/v2/monitor/health", timeout=5) as resp:
                    health = json.loads(resp.read())
                last = str(health)
                wanted = ("metadatabase", "scheduler", "dag_processor")
                if all(health.get(k, {}).get("status") == "healthy" for k in wanted):
                    return
            except OSError as exc:
                last = str(exc)
            time.sleep(1)
        raise RuntimeError(f"Airflow stack not ready after {self.options.ready_timeout:.0f} s: {last}; "
                           f"logs in {self.logs}")

    def _raise_if_dead(self) -> None:
        for name, proc in self.procs.items():
            if proc.poll() is not None:
                tail = (self.logs / f"{name}.log").read_text(errors="replace")[-3000:]
                raise RuntimeError(f"{name} exited with {proc.returncode}:\n{tail}")

    def kill(self, name: str) -> None:
        """SIGKILL one component's whole process group (its task runners go with it)."""
        proc = self.procs[name]
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait(timeout=30)

    def restart(self, name: str) -> None:
        self._spawn(name)

    def stop(self) -> None:
        for proc in list(self.procs.values()):
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for name, proc in list(self.procs.items()):
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill(name)
        self.procs.clear()
        admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{self.db_name}" WITH (FORCE)'))
        admin.dispose()

    def __enter__(self) -> AirflowStack:
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc: object) -> None:
        self.stop()
