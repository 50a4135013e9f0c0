"""Run the real server (`python -m flask --app wsgi hub serve`: gunicorn, gevent worker) in a
child process on a free 127.0.0.1 port, for tests and benchmarks that need real sockets.

    from tests.live import LiveServer

    with LiveServer(database_url, env={"SOCKETIO_MESSAGE_QUEUE": redis}) as server:
        requests.get(server.url + "/api/v1/openapi.json")
        server.restart()          # SIGTERM, wait, start again on the same port
    # stopped with SIGTERM on exit (SIGKILL if it does not stop in time)

- `database_url`: a migrated database (SQLite file or PostgreSQL); the server never migrates.
- `env`: extra environment variables (they win over the defaults below).
- Defaults: `HUB_ENV=test`, a fresh `HUB_INSTANCE_PATH`, `PUBLIC_BASE_URL` = the server's own
  URL (Socket.IO checks browsers' `Origin` against it), `SECRET_KEY` shared by every
  LiveServer (so a session cookie stays valid across restarts and across servers).
- `server.url` (`http://127.0.0.1:<port>`), `server.port`, `server.log_path` (stdout and
  stderr of the process), `server.log_tail()` for assertion messages.
- `start(timeout)` waits until `GET /api/v1/openapi.json` answers 200 and raises
  `RuntimeError` with the log tail if the process exits or does not answer in time.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import Any

import requests

ROOT = Path(__file__).resolve().parent.parent
LIVE_SECRET_KEY = "live-test-secret-key-0123456789"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def file_tail(path: Path, lines: int) -> str:
    """The last `lines` lines of a log file ("(no log)" when there is none)."""
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


class LiveServer:
    """One `hub serve` process; see the module docstring."""

    def __init__(self, database_url: str, env: dict[str, str] | None = None, port: int | None = None) -> None:
        self.database_url = database_url
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._workdir = Path(tempfile.mkdtemp(prefix="hub-live-"))
        self.log_path = self._workdir / "server.log"
        self.env = {
            "HUB_ENV": "test",
            "DATABASE_URL": database_url,
            "HUB_INSTANCE_PATH": str(self._workdir / "instance"),
            "UPLOAD_DIR": str(self._workdir / "uploads"),
            "PUBLIC_BASE_URL": self.url,
            "SECRET_KEY": LIVE_SECRET_KEY,
        } | (env or {})
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 30.0) -> LiveServer:
        """Start the process and wait until it answers HTTP."""
        if self.process is not None and self.process.poll() is None:
            return self
        environment = os.environ.copy() | self.env
        log = open(self.log_path, "ab")  # noqa: SIM115  (kept open by the child)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "wsgi", "hub", "serve", "--host", "127.0.0.1",
             "--port", str(self.port)],
            cwd=ROOT, env=environment, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                if requests.get(self.url + "/api/v1/openapi.json", timeout=1).status_code == 200:
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"server did not answer within {timeout}s:\n{self.log_tail()}")

    def stop(self, timeout: float = 15.0) -> None:
        """SIGTERM (gunicorn's graceful stop); SIGKILL the process group if it lingers."""
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(5)

    def restart(self, timeout: float = 30.0) -> LiveServer:
        """Stop, then start again on the same port with the same settings."""
        self.stop()
        return self.start(timeout)

    def log_tail(self, lines: int = 40) -> str:
        """The end of the server's output."""
        return file_tail(self.log_path, lines)

    def __enter__(self) -> LiveServer:
        return self.start()

    def __exit__(self, *_exc: tuple[type[BaseException] | None, BaseException | None, TracebackType | None]) -> Any:
        self.stop()
