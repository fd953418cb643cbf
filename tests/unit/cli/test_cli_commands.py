"""The `ml-connector` command line: its own commands always, `simulate` and `demo` only from the sandbox."""

from __future__ import annotations

import re
from importlib.metadata import EntryPoint, entry_points
from pathlib import Path

import pytest

from ml_connector import cli

PRODUCT = Path(__file__).resolve().parents[3] / "include" / "ml_connector"
PRODUCT_COMMANDS = {"quarantine", "replay", "connect", "check", "subscribe", "trace", "audit", "gaps", "vendors"}


def _commands(parser: object) -> set[str]:
    (sub,) = [a for a in parser._actions if a.dest == "command"]  # type: ignore[attr-defined]
    return set(sub.choices)


def test_the_sandbox_contributes_simulate_demo_and_soak_through_the_entry_point_group() -> None:
    names = {e.name: e.value for e in entry_points(group=cli.COMMANDS_GROUP)}
    assert names == {"simulate": "mlc_sandbox.commands:add_simulate", "demo": "mlc_sandbox.commands:add_demo",
                     "soak": "mlc_sandbox.commands:add_soak"}
    assert _commands(cli.build_parser()) == PRODUCT_COMMANDS | {"simulate", "demo", "soak"}


def test_without_the_sandbox_the_product_commands_work_and_simulate_is_unknown(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(cli, "entry_points", lambda group: [])
    assert _commands(cli.build_parser()) == PRODUCT_COMMANDS
    with pytest.raises(SystemExit) as exit_help:
        cli.main(["--help"])
    assert exit_help.value.code == 0
    assert "subscribe" in capsys.readouterr().out
    with pytest.raises(SystemExit) as exit_unknown:
        cli.main(["simulate"])
    assert exit_unknown.value.code == 2
    assert "invalid choice: 'simulate'" in capsys.readouterr().err


def test_a_command_plugin_that_cannot_be_imported_is_reported_and_skipped(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    broken = EntryPoint(name="gone", value="mlc_no_such_module:add", group=cli.COMMANDS_GROUP)
    monkeypatch.setattr(cli, "entry_points", lambda group: [broken])
    assert _commands(cli.build_parser()) == PRODUCT_COMMANDS
    assert "commands 'gone' (mlc_no_such_module:add) not loaded" in capsys.readouterr().err


def test_the_product_never_imports_the_sandbox() -> None:
    # Not even lazily: the sandbox is an optional install, absent on production workers.
    assert (PRODUCT / "cli" / "__init__.py").is_file()  # the scan below looks at the product
    offenders = [f"{path.relative_to(PRODUCT.parent)}:{n}" for path in PRODUCT.rglob("*.py")
                 for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
                 if re.search(r"\bmlc_sandbox\b", line)]
    assert offenders == []
