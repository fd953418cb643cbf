"""Test-wide setup: an isolated Airflow home per test worker, set before anything imports Airflow; and
the session-wide check that nothing sent an IFS mutation without If-Match (see IfMatchGuard)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def _airflow_environment() -> None:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    # Per test run too: two pytest -n 2 sessions on one machine must not share gw0's metadata DB.
    run = os.environ.get("PYTEST_XDIST_TESTRUNUID", "")[:8]
    name = str(os.getpid()) if worker == "main" else f"{run}-{worker}"
    home = Path(tempfile.gettempdir()) / f"mlc-tests-{name}-airflow"
    home.mkdir(parents=True, exist_ok=True)
    defaults = {
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__DAGS_FOLDER": str(REPO / "dags"),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(REPO / "plugins"),
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
        "AIRFLOW__CORE__TEST_CONNECTION": "Enabled",
        # A fixed test-only key: connection secrets are Fernet-encrypted in the metadata DB as in production.
        "AIRFLOW__CORE__FERNET_KEY": "n1qmZ7bgmVJ5jR2W8x9nM0W4hT0o0gQ1lJY6m9x1bJk=",
        "ML_CONNECTOR_CACHE_DIR": str(home / "ml-connector-cache"),  # the parsed tenants files
    }
    # The xdist controller ran this too, and its workers inherit its environment: what it set here is
    # replaced (each worker its own home and metadata DB); what the user set is kept.
    ours = set(filter(None, os.environ.get(_SET_BY_US, "").split(",")))
    mine = []
    for key, value in defaults.items():
        if key in ours or key not in os.environ:
            os.environ[key] = value
            mine.append(key)
    os.environ[_SET_BY_US] = ",".join(mine)


_SET_BY_US = "MLC_TESTS_AIRFLOW_DEFAULTS"
_airflow_environment()


from typing import TYPE_CHECKING, Any  # noqa: E402

import pytest  # noqa: E402  (after the environment is set)

if TYPE_CHECKING:
    from collections.abc import Iterator

    from mlc_sandbox.ifs import IfsSimulator
    from mlc_sandbox.runner import Sandbox

SENDS_WITHOUT_IF_MATCH = "sends_without_if_match"


class IfMatchGuard:
    """Fails the suite when an IFS simulator received a PATCH/PUT/DELETE/bound action without If-Match.

    In IFS 23R2-25R1 such a PATCH is a silent upsert, so the connector must never send one. Every
    simulator is watched: each `Sandbox` (through mlc_sandbox.runner.OBSERVERS) and each simulator
    the IFS contract fixtures build (`watch`/`check`). What arrives while a test runs is that test's:
    reported when the test ends (`after_test`), or allowed when the test is marked
    `@pytest.mark.sends_without_if_match`. When a simulator shuts down, whatever is still unaccounted
    for (sent outside any test, e.g. by a module fixture, or by the test that just stopped it) fails.
    """

    def __init__(self) -> None:
        self.live: dict[int, IfsSimulator] = {}
        self.accounted: dict[int, set[int]] = {}  # per simulator: seqs allowed or already reported
        self.baseline: dict[int, int] = {}  # per simulator: the last seq before the running test began
        self.marked_test = False

    def watch(self, sim: IfsSimulator) -> None:
        self.live[id(sim)] = sim
        self.accounted.setdefault(id(sim), set())

    def started(self, sandbox: Sandbox) -> None:
        self.watch(sandbox.ifs)

    def stopped(self, sandbox: Sandbox) -> None:
        self.check(sandbox.ifs, "at its shutdown")

    def begin_test(self, marked: bool) -> None:
        self.marked_test = marked
        self.baseline = {key: max((e["seq"] for e in sim.mutations_without_if_match()), default=0)
                         for key, sim in self.live.items()}

    def _new(self, sim: IfsSimulator, this_test_only: bool) -> list[dict[str, Any]]:
        seen = self.accounted.setdefault(id(sim), set())
        floor = self.baseline.get(id(sim), 0) if this_test_only else 0
        return [e for e in sim.mutations_without_if_match() if e["seq"] not in seen and e["seq"] > floor]

    def _account(self, sim: IfsSimulator, this_test_only: bool) -> list[dict[str, Any]]:
        new = self._new(sim, this_test_only)
        self.accounted.setdefault(id(sim), set()).update(e["seq"] for e in new)
        return new

    def check(self, sim: IfsSimulator, when: str) -> None:
        """A simulator shuts down: it is no longer watched; raise if it holds an unaccounted entry."""
        if self.marked_test:
            self._account(sim, this_test_only=True)
        offending = self._new(sim, this_test_only=False)
        self.live.pop(id(sim), None)
        self.accounted.pop(id(sim), None)
        assert not offending, f"IFS simulator {when}: mutations without If-Match were sent: {_show(offending)}"

    def after_test(self, nodeid: str) -> None:
        marked, self.marked_test = self.marked_test, False
        offending = [e for sim in list(self.live.values()) for e in self._account(sim, this_test_only=True)]
        self.baseline = {}
        if offending and not marked:
            pytest.fail(f"{nodeid} sent mutations without If-Match (mark it @pytest.mark.{SENDS_WITHOUT_IF_MATCH} "
                        f"if that is deliberate): {_show(offending)}", pytrace=False)


def _show(entries: list[dict[str, Any]]) -> str:
    return "; ".join(f"{e['method']} {e['path']}" + (f" ($batch part {e['batch_part']})" if e.get("batch") or
                     e.get("batch_part") else "") for e in entries)


IF_MATCH_GUARD = IfMatchGuard()


def pytest_configure(config: pytest.Config) -> None:
    from mlc_sandbox import runner

    if IF_MATCH_GUARD not in runner.OBSERVERS:
        runner.OBSERVERS.append(IF_MATCH_GUARD)


@pytest.fixture(scope="session")
def if_match_guard() -> IfMatchGuard:
    return IF_MATCH_GUARD


@pytest.fixture(autouse=True)
def _no_mutation_without_if_match(request: pytest.FixtureRequest) -> Iterator[None]:
    IF_MATCH_GUARD.begin_test(request.node.get_closest_marker(SENDS_WITHOUT_IF_MATCH) is not None)
    yield
    IF_MATCH_GUARD.after_test(request.node.nodeid)


@pytest.fixture(scope="module")
def sandbox():  # type: ignore[no-untyped-def]
    """Both simulators with the default seed on free localhost ports, for one test module."""
    from mlc_sandbox.runner import Sandbox, SandboxOptions

    with Sandbox(SandboxOptions(invoices=60, suppliers=80)) as running:
        yield running


@pytest.fixture(scope="session")
def airflow_db() -> str:
    """This worker's Airflow metadata DB (SQLite), migrated once per test session."""
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "airflow", "db", "migrate"], check=False, capture_output=True,
                          text=True, env=os.environ.copy(), timeout=300)
    assert done.returncode == 0, f"airflow db migrate failed:\n{done.stderr[-4000:]}"
    return os.environ["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]
