"""Not a test module: ``wherelang serve`` as a real process for the server and client tests.

The server listens on 127.0.0.1 on a free port, stops by itself after ``exit_after``
seconds even if a test run is killed, and is stopped at the end of the ``with`` block.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
SECRET = "a secret for the tests"
#: base URL -> the file the server's standard error (its request log) goes to
LOGS: dict[str, Path] = {}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serve(
    database: str | None = None, *, prefix: str = "", exit_after: float = 900.0
) -> Iterator[str]:
    """The base URL of a running ``wherelang serve`` (SQLite unless ``database``)."""
    port = free_port()
    command = [sys.executable, "-m", "wherelang", "serve", "--port", str(port),
               "--secret", SECRET, "--log-level", "warning", "--exit-after", str(exit_after)]  # fmt: skip
    if database is not None:
        command += ["--database", database]
    if prefix:
        command += ["--prefix", prefix]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    log = tempfile.NamedTemporaryFile(prefix="wherelang-serve-", suffix=".log", delete=False)
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                               stderr=log, start_new_session=True)  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    LOGS[url] = Path(log.name)
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                err = Path(log.name).read_text(errors="replace")
                raise RuntimeError(f"wherelang serve exited with {process.returncode}: {err[-2000:]}")
            try:
                if httpx.get(url + "/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("wherelang serve did not answer /health within 60 s")
            time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)
        log.close()
        LOGS.pop(url, None)
        os.unlink(log.name)


def drop_tables(dsn: str, prefix: str) -> None:
    """Drop the sample tables a PostgreSQL server was given (``prefix`` + entity name)."""
    import psycopg

    from wherelang import sample

    with psycopg.connect(dsn, autocommit=True, connect_timeout=5) as conn:
        for name in sample.names():
            conn.execute(f'DROP TABLE IF EXISTS "{prefix}{name}"')
