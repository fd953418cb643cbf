"""The soak in CI: one seeded short run with every fault class on and a SIGKILLed worker must keep every
invariant, and the invariant check itself must fail when the systems disagree."""

from __future__ import annotations

from pathlib import Path

from mlc_sandbox.runner import Sandbox, SandboxOptions
from mlc_sandbox.soak.invariants import check_tenant
from mlc_sandbox.soak.seeded import SeededOptions, run_seeded


def test_the_invariant_check_names_every_invoice_nobody_transferred(tmp_path: Path) -> None:
    with Sandbox(SandboxOptions(seed=3, invoices=5, suppliers=20)) as sandbox:
        ids = sorted(sandbox.dataset.invoice_id(i) for i in range(5))
        figures = check_tenant("demo", sandbox, f"sqlite:///{tmp_path / 'state.db'}")
        sandbox.basware.close()
    by_name = {b.invariant: b for b in figures.breaches}
    assert by_name["approved invoice is neither a proposal nor quarantined"].invoice_ids == ids
    assert by_name["Basware invoice not Transferred/TransferFailed"].invoice_ids == ids


def test_a_short_seeded_soak_with_a_killed_worker_keeps_every_invariant(tmp_path: Path) -> None:
    # Seed 1's first run is SIGKILLed (the soak's RNG decides; kill_share 1 makes it certain).
    opts = SeededOptions(runs=1, invoices=8, runs_under_faults=2, kill_share=1.0, kill_window=(5.0, 12.0),
                         workdir=tmp_path)
    lines: list[str] = []
    figures = run_seeded(opts, progress=lines.append)
    assert figures.kills == 1
    assert sum(figures.faults_fired.values()) > 0
    assert figures.breaches == [], "\n".join(lines)
