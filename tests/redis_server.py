"""A Redis server for the tests of distributed crawls (``tests/test_distributed.py``).

:func:`redis_server` gives the URL of a real Redis: the one named by the
environment variable ``AGGREGATOR_TEST_REDIS_URL`` (``tests/redis/with-redis.sh``
sets it), else a private ``redis-server`` started on a free port of 127.0.0.1
without persistence and stopped afterwards. Tests share it and keep apart
through their own key prefix (``DISTRIBUTED_KEY_PREFIX``), so nothing ever
flushes it. Talks RESP over a plain socket: no client library needed. Not a
test module.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Iterator, Optional

ENV_VAR = "AGGREGATOR_TEST_REDIS_URL"
INSTALL_HINT = (
    "no Redis for the distributed tests: install redis-server (apt-get install redis-server) "
    f"or set {ENV_VAR}=redis://HOST:PORT/DB (tests/redis/with-redis.sh does both)"
)


class RedisUnavailable(Exception):
    """No Redis server can be used: neither ``AGGREGATOR_TEST_REDIS_URL`` nor ``redis-server``."""


def ping(host: str, port: int, timeout: float = 1.0) -> bool:
    """True when a Redis server answers ``PING`` on ``host:port``."""
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(64).startswith(b"+PONG")
    except OSError:
        return False


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def redis_server(startup_seconds: float = 10) -> Iterator[str]:
    """The URL of a Redis server for the tests, for the duration of the block.

    :raises RedisUnavailable: when there is neither ``AGGREGATOR_TEST_REDIS_URL``
        nor a ``redis-server`` on ``PATH``, or the private server does not start.
    """
    given = os.environ.get(ENV_VAR)
    if given:
        yield given
        return
    executable = shutil.which("redis-server")
    if executable is None:
        raise RedisUnavailable(INSTALL_HINT)
    port = _free_port()
    folder = Path(tempfile.mkdtemp(prefix="aggregator-redis-"))
    log = folder / "redis.log"
    process: Optional[subprocess.Popen] = subprocess.Popen(
        [executable, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", str(folder), "--logfile", str(log)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + startup_seconds
        while not ping("127.0.0.1", port):
            if process.poll() is not None or time.monotonic() > deadline:
                text = log.read_text(errors="replace")[-2000:] if log.exists() else ""
                raise RedisUnavailable(f"redis-server did not start on 127.0.0.1:{port}: {text}")
            time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)
        shutil.rmtree(folder, ignore_errors=True)
