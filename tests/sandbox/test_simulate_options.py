"""`simulate --ifs-missing-if-match`: the option reaches the IFS simulator's settings."""

from __future__ import annotations

import argparse

import pytest

from mlc_sandbox.commands import add_simulate
from mlc_sandbox.runner import Sandbox, SandboxOptions


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_simulate(parser.add_subparsers())
    return parser.parse_args(["simulate", *argv])


@pytest.mark.parametrize(("argv", "mode"), [((), "upsert"), (("--ifs-missing-if-match", "reject"), "reject")])
def test_missing_if_match_option(argv: tuple[str, ...], mode: str) -> None:
    args = parse(*argv)
    assert args.ifs_missing_if_match == mode
    sandbox = Sandbox(SandboxOptions(invoices=1, suppliers=5, ifs_missing_if_match=args.ifs_missing_if_match))
    assert sandbox.ifs.settings.missing_if_match == mode


def test_an_unknown_mode_is_refused() -> None:
    with pytest.raises(SystemExit):
        parse("--ifs-missing-if-match", "sometimes")
