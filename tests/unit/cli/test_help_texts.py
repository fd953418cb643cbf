"""Every option and argument of every `ml-connector` command has help text (`--help` is the reference)."""

from __future__ import annotations

import argparse
from collections.abc import Iterator

from ml_connector.cli import build_parser


def _parsers(parser: argparse.ArgumentParser, name: str) -> Iterator[tuple[str, argparse.ArgumentParser]]:
    yield name, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub_name, sub in action.choices.items():
                yield from _parsers(sub, f"{name} {sub_name}")


def _undocumented(parser: argparse.ArgumentParser) -> list[str]:
    return [action.option_strings[-1] if action.option_strings else action.dest for action in parser._actions
            if not isinstance(action, (argparse._HelpAction, argparse._SubParsersAction))
            and not (action.help and action.help.strip() and action.help != argparse.SUPPRESS)]


def test_every_argument_of_every_command_has_help() -> None:
    parsers = dict(_parsers(build_parser(), "ml-connector"))
    # The sandbox's commands are there (installed beside the product in the test venv): they count too.
    assert {"ml-connector connect", "ml-connector simulate", "ml-connector demo"} <= set(parsers)
    missing = {name: found for name, parser in parsers.items() if (found := _undocumented(parser))}
    assert not missing, f"arguments without help: {missing}"


def test_every_command_has_a_one_line_help() -> None:
    root = build_parser()
    [commands] = [a for a in root._actions if isinstance(a, argparse._SubParsersAction)]
    helps = {choice.dest: choice.help for choice in commands._choices_actions}
    assert set(helps) == set(commands.choices)
    assert all(text and text.strip() for text in helps.values()), helps


def test_the_check_is_able_to_fail() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--documented", help="yes")
    parser.add_argument("--bare")
    assert _undocumented(parser) == ["--bare"]
