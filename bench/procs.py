"""Starting and always stopping the benchmark's processes (servers, relays, load clients).

Every process is started in its own session (process group), remembered, and stopped by
its group id when the scenario ends, when the run fails, or on Ctrl-C / SIGTERM.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable


class BenchError(RuntimeError):
    """A scenario could not run (a process died, a port never opened, a check failed)."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Proc:
    """One started process and where its output goes."""

    name: str
    popen: subprocess.Popen[bytes]
    log_path: Path
    log_file: IO[bytes] | None = field(default=None, repr=False)

    @property
    def pid(self) -> int:
        return self.popen.pid

    def alive(self) -> bool:
        """Whether the process is still running."""
        return self.popen.poll() is None

    def log_tail(self, lines: int = 30) -> str:
        """The end of the process's output, for error messages."""
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])


class Supervisor:
    """Owns every process a run starts; `stop_all` ends them by process group."""

    def __init__(self, log_dir: Path) -> None:
        self.log_dir = log_dir
        self.procs: list[Proc] = []
        log_dir.mkdir(parents=True, exist_ok=True)

    def start(
        self,
        name: str,
        args: Sequence[str],
        env: dict[str, str] | None = None,
        stdin: int | None = subprocess.DEVNULL,
        stdout_pipe: bool = False,
    ) -> Proc:
        """Start `args` in a new session with its output in `<log_dir>/<name>.log`."""
        log_path = self.log_dir / f"{name}.log"
        log_file = open(log_path, "ab")  # noqa: SIM115 (closed in stop)
        full_env = dict(os.environ)
        full_env.update(env or {})
        popen = subprocess.Popen(  # noqa: S603 (our own commands)
            list(args),
            cwd=str(ROOT),
            env=full_env,
            stdin=stdin,
            stdout=subprocess.PIPE if stdout_pipe else log_file,
            stderr=log_file,
            start_new_session=True,
        )
        proc = Proc(name, popen, log_path, log_file)
        self.procs.append(proc)
        return proc

    def stop(self, proc: Proc, timeout: float = 10.0) -> None:
        """SIGTERM the process group, SIGKILL it after `timeout` seconds."""
        if proc.alive():
            _signal_group(proc.pid, signal.SIGTERM)
            try:
                proc.popen.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                _signal_group(proc.pid, signal.SIGKILL)
                proc.popen.wait(timeout=5)
        # Children of a process that exited (gunicorn workers) may linger in its group.
        _signal_group(proc.pid, signal.SIGKILL)
        for stream in (proc.popen.stdin, proc.popen.stdout):
            if stream is not None:
                try:
                    stream.close()
                except OSError:
                    pass
        if proc.log_file is not None:
            proc.log_file.close()
            proc.log_file = None
        if proc in self.procs:
            self.procs.remove(proc)

    def stop_all(self) -> None:
        """Stop every process still known, newest first (clients before servers)."""
        for proc in reversed(list(self.procs)):
            try:
                self.stop(proc)
            except Exception as exc:  # noqa: BLE001 (keep stopping the others)
                print(f"bench: could not stop {proc.name} ({proc.pid}): {exc}", file=sys.stderr)


def _signal_group(pgid: int, sig: int) -> None:
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def wait_for_port(port: int, proc: Proc, timeout: float = 30.0) -> None:
    """Wait until 127.0.0.1:`port` accepts connections; fail early if `proc` dies."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not proc.alive():
            raise BenchError(f"{proc.name} exited with {proc.popen.returncode}:\n{proc.log_tail()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise BenchError(f"{proc.name} did not listen on port {port} within {timeout:.0f}s:\n{proc.log_tail()}")


def wait_for_http(port: int, proc: Proc, timeout: float = 60.0) -> None:
    """Wait until the server answers HTTP at all (gunicorn binds the port before its worker
    has loaded the app): any status will do."""
    import http.client

    deadline = time.monotonic() + timeout
    wait_for_port(port, proc, timeout)
    while time.monotonic() < deadline:
        if not proc.alive():
            raise BenchError(f"{proc.name} exited with {proc.popen.returncode}:\n{proc.log_tail()}")
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        try:
            connection.request("GET", "/socket.io/?EIO=4&transport=polling")
            connection.getresponse().read()
            return
        except OSError:
            time.sleep(0.1)
        finally:
            connection.close()
    raise BenchError(f"{proc.name} did not answer HTTP on port {port} within {timeout:.0f}s:\n{proc.log_tail()}")


def run_command(
    args: Sequence[str], env: dict[str, str], timeout: float, what: str
) -> subprocess.CompletedProcess[str]:
    """Run a short command to completion (migrations, the email worker); fail with its output."""
    full_env = dict(os.environ)
    full_env.update(env)
    try:
        done = subprocess.run(  # noqa: S603
            list(args), cwd=str(ROOT), env=full_env, capture_output=True, text=True, timeout=timeout,
            start_new_session=True,
        )
    except subprocess.TimeoutExpired as exc:
        raise BenchError(f"{what} took longer than {timeout:.0f}s") from exc
    if done.returncode != 0:
        raise BenchError(f"{what} failed ({done.returncode}):\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}")
    return done


def install_signal_handlers() -> None:
    """Turn SIGTERM into KeyboardInterrupt so `finally` blocks stop every process."""

    def _interrupt(_signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _interrupt)
