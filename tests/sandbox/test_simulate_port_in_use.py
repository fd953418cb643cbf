"""`ml-connector simulate` on a port that is taken: one line naming the port and the fix, no OSError trace."""

from __future__ import annotations

import socket
import subprocess
import sys

import pytest


@pytest.mark.parametrize(("option", "name"), [("--basware-port", "Basware"), ("--ifs-port", "IFS")])
def test_a_port_in_use_is_one_line(option: str, name: str) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        other = "--ifs-port" if option == "--basware-port" else "--basware-port"
        done = subprocess.run([sys.executable, "-m", "ml_connector.cli", "simulate", option, str(port), other, "0",
                               "--invoices", "1"], capture_output=True, text=True, timeout=120,
                              stdin=subprocess.DEVNULL)
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.strip() == (f"error: {name} simulator: cannot listen on 127.0.0.1:{port}: Address already "
                                   f"in use; stop what uses the port or choose another ({option} 0 picks a free one)")
