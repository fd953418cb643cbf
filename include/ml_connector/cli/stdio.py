"""Keeps Airflow's own log lines off stdout, which carries only a command's result (a table, JSON).

Airflow writes some log lines straight to the stdout its structlog setup captured at import, past
any handler of ours, so they are redirected on the file descriptors, not by swapping sys.stdout.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path


@contextmanager
def _fd_to(fd: int, target: int) -> Iterator[None]:
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(fd)
    os.dup2(target, fd)
    try:
        yield
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os.dup2(saved, fd)
        os.close(saved)


@contextmanager
def stdout_to_stderr() -> Iterator[None]:
    with _fd_to(1, 2):
        yield


@contextmanager
def output_to_file(path: Path) -> Iterator[None]:
    """stdout and stderr appended to `path` for the block (the demo's Airflow log)."""
    with path.open("ab") as log, ExitStack() as stack:
        stack.enter_context(_fd_to(1, log.fileno()))
        stack.enter_context(_fd_to(2, log.fileno()))
        yield
