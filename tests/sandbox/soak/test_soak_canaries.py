"""The short soak (every fault class, tokens revoked mid-run, a SIGKILLed worker) with client secrets the
test chooses: neither they nor any access token the simulators issued appears in the task logs, the
Airflow metadata DB (XCom, task instances...), the state store, staging or the runs' output.

The real-components flow (webhooks into a real API server under Celery) takes the webhook secret from
the same environment: tests/sandbox/soak/test_real_components.py may scan its stack the same way."""

from __future__ import annotations

from pathlib import Path

import pytest

from canaries import scan_for_canaries, token_canaries, use_chosen_secrets
from mlc_sandbox.soak.seeded import SeededOptions, run_seeded


def test_the_short_soak_leaves_no_chosen_secret_or_issued_token_anywhere(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    chosen = use_chosen_secrets(tmp_path, monkeypatch)
    work = tmp_path / "soak"
    opts = SeededOptions(runs=1, first_seed=2, invoices=6, runs_under_faults=2, kill_share=1.0,
                         kill_window=(5.0, 12.0), workdir=work)
    lines: list[str] = []
    figures = run_seeded(opts, progress=lines.append)
    assert figures.breaches == [], "\n".join(lines)
    assert sum(figures.faults_fired.values()) > 0
    tokens = token_canaries(tmp_path)
    assert len(tokens) >= 4, "both simulators must have issued tokens to the runs"
    databases = sorted(work.rglob("*.db"))
    assert {p.name for p in databases} >= {"airflow.db", "state.db"}, databases
    found = scan_for_canaries([chosen["basware"], chosen["ifs"], *tokens], paths=[work],
                              db_urls=[f"sqlite:///{p}" for p in databases], texts={"progress": "\n".join(lines)})
    assert found == []
    # The scan reads the logs it claims to: the runs' log names the tenant's DAG.
    assert scan_for_canaries(["mlc_demo_invoices"], paths=[work]) != []
