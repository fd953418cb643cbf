"""Run ASGI apps (the simulators) with uvicorn on localhost, in a background thread or in the foreground."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn
from starlette.types import ASGIApp


class CannotListen(OSError):
    """The port is taken or not allowed: the message names the address and what to do."""


class ThreadedServer:
    """A uvicorn server on 127.0.0.1 in a daemon thread; port 0 picks a free port."""

    def __init__(self, app: ASGIApp, port: int = 0, host: str = "127.0.0.1", log_level: str = "warning") -> None:
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            self._sock.bind((host, port))
        except OSError as exc:
            self._sock.close()
            raise CannotListen(exc.errno, f"cannot listen on {host}:{port}: {exc.strerror}") from None
        self.host = host
        self.port = self._sock.getsockname()[1]
        config = uvicorn.Config(app, log_level=log_level, lifespan="off", access_log=False,
                                timeout_keep_alive=30)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [self._sock]},
                                        name=f"sandbox-{self.port}", daemon=True)

    @property
    def url(self) -> str:
        # A server bound to all interfaces is still reached on loopback from this machine.
        host = "127.0.0.1" if self.host in ("0.0.0.0", "") else self.host
        return f"http://{host}:{self.port}"

    def start(self, timeout: float = 10.0) -> ThreadedServer:
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"sandbox server on port {self.port} did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)
        self._sock.close()


@contextmanager
def serve(app: ASGIApp, port: int = 0) -> Iterator[ThreadedServer]:
    server = ThreadedServer(app, port).start()
    try:
        yield server
    finally:
        server.stop()
