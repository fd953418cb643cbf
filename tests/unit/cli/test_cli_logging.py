"""A command run in-process leaves the process's logging as it found it (later task logs keep INFO)."""

from __future__ import annotations

import logging

import pytest

from ml_connector.cli import main


def test_main_gives_the_root_logger_its_level_and_handlers_back(capsys: pytest.CaptureFixture[str]) -> None:
    root = logging.getLogger()
    before_level, before_handlers = root.level, root.handlers[:]
    root.setLevel(logging.INFO)
    try:
        main(["quarantine", "list", "--tenant", "no-such-tenant"])  # sets WARNING logging while it runs
        assert root.level == logging.INFO
        assert root.handlers == before_handlers
        assert not [h for h in root.handlers if h.filters]
    finally:
        root.setLevel(before_level)
