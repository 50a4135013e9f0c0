"""gunicorn settings that `hub serve` loads by path (`--config .../gunicorn_conf.py`).

Standard library only: this file runs in gunicorn's master process, which must not import the
app (its workers fork from the master and monkey-patch with gevent afterwards; locks created
by modules imported before that would not be gevent's).
"""

from __future__ import annotations

import glob
import os
import re
from typing import Any


def _live_gauge_files(folder: str, pid: int | None = None) -> list[str]:
    """prometheus-client's live gauge files (open sockets) of one process, or of all."""
    return glob.glob(os.path.join(folder, f"gauge_live*_{pid if pid is not None else '*'}.db"))


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def on_starting(_server: Any) -> None:
    """Before the workers start: forget the open sockets of processes that no longer run (their
    counters stay, so totals never go back)."""
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if not folder:
        return
    for name in _live_gauge_files(folder):
        match = re.search(r"_(\d+)\.db$", name)
        if match and not _running(int(match.group(1))):
            os.remove(name)


def child_exit(_server: Any, worker: Any) -> None:
    """A worker process ended: its open sockets no longer count."""
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if folder:
        for name in _live_gauge_files(folder, worker.pid):
            os.remove(name)
