"""`ml-connector`: the command line of the connector and its sandbox."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Sequence
from importlib.metadata import entry_points

from ml_connector.cli import audit, connect, gaps, quarantine, trace, vendors
from ml_connector.cli.metadata_db import metadata_db_problem
from ml_connector.config import ConfigError

# Other distributions add subcommands through this entry point group (the sandbox adds `simulate` and
# `demo`), so the product never imports them. Each entry point is a callable taking the subparsers
# object, like `add_commands` below; its parsers set `handler` (and `airflow=True` if the command
# needs Airflow imported and its logging replaced before it runs).
COMMANDS_GROUP = "ml_connector.commands"

AddCommands = Callable[["argparse._SubParsersAction[argparse.ArgumentParser]"], None]


def _installed_commands() -> list[AddCommands]:
    found = []
    for entry in sorted(entry_points(group=COMMANDS_GROUP), key=lambda e: e.name):  # help order: stable
        try:
            found.append(entry.load())
        except ImportError as exc:  # e.g. a sandbox uninstalled under stale metadata: the rest still works
            print(f"ml-connector: commands {entry.name!r} ({entry.value}) not loaded: {exc}", file=sys.stderr)
    return found


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ml-connector", description=__doc__)
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", required=True)
    for add_commands in (*_installed_commands(), quarantine.add_commands, trace.add_commands, audit.add_commands,
                         gaps.add_commands, vendors.add_commands, connect.add_commands):
        add_commands(sub)
    return parser


def _quiet_http(record: logging.LogRecord) -> bool:
    return record.levelno >= logging.ERROR or not record.name.startswith("ml_connector.http")


def main(argv: Sequence[str] | None = None) -> int:
    # The logging set-up below is the command's own: in a process that goes on after main() (a test, the
    # demo's in-process commands) the root logger gets its level and handlers back, or every later task
    # log would lose its INFO lines.
    root = logging.getLogger()
    saved_level, saved_handlers = root.level, root.handlers[:]
    try:
        return _main(argv)
    finally:
        for added in root.handlers[:]:
            if added not in saved_handlers:
                root.removeHandler(added)
        for kept in saved_handlers:
            kept.removeFilter(_quiet_http)
        root.handlers[:] = saved_handlers
        root.setLevel(saved_level)


def _main(argv: Sequence[str] | None) -> int:
    args = build_parser().parse_args(argv)
    if getattr(args, "airflow", False):
        # Importing Airflow sets up its own INFO logging on stdout; ours replaces it (force=True). The
        # demo imports Airflow only after pointing it at its own home.
        import airflow  # noqa: F401
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s", force=True)
    if not args.verbose:
        # Commands print each outcome themselves; a failed request's and each retry's log line would only
        # repeat it. -v shows them.
        # A filter on our handler, not a logger level: the level would outlive main() in the process.
        for root_handler in logging.getLogger().handlers:
            root_handler.addFilter(_quiet_http)
    handler: Callable[[argparse.Namespace], int] = args.handler
    try:
        return handler(args)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:
        problem = metadata_db_problem(exc) if getattr(args, "airflow", False) else None
        if problem is None:
            raise
        print(f"error: {problem}", file=sys.stderr)
        return 2
