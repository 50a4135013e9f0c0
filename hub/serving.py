"""Process settings of a long-lived serving process (`wsgi.py`; the benchmark's floor relay
uses the same, so the comparison stays fair)."""

from __future__ import annotations

import atexit
import gc
import glob
import os
import re

#: Young-generation size before a collection, and how many young collections make a middle one.
#: At the default (700, 10) a busy worker collects ~150 times a second and promotes whatever is in
#: flight at that moment; the promoted objects soon trigger a full collection, which walks every
#: object the thousand open sockets hold and pauses all of them for 80-110 ms every few seconds.
GC_THRESHOLDS = (20_000, 20, 10)


def settle_garbage_collector() -> None:
    """Call once the app is loaded: freeze what lives as long as the process and collect less
    often, so full collections (which pause every socket) become rare."""
    gc.collect()
    # The loaded app's objects (modules, mappers, templates, catalogues: ~140,000) are never
    # garbage: out of the collector's sight, no collection walks them again.
    gc.freeze()
    # At exit the collector sees them again, so the final collection still closes what they
    # hold (a SQLite connection folds its write-ahead log into the database file on close).
    atexit.register(gc.unfreeze)
    gc.set_threshold(*GC_THRESHOLDS)


def forget_dead_processes_metrics(folder: str | None = None) -> None:
    """With PROMETHEUS_MULTIPROC_DIR: drop the live gauges (open sockets) that processes no
    longer running left there, so a restarted server or gunicorn worker does not count its
    predecessor's sockets. Their counters stay: totals never go back."""
    folder = folder or os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if not folder:
        return
    for name in glob.glob(os.path.join(folder, "gauge_live*_*.db")):
        match = re.search(r"_(\d+)\.db$", name)
        if match and not _running(int(match.group(1))):
            try:
                os.remove(name)
            except FileNotFoundError:
                pass  # another process of the host removed it first


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process: alive
    return True
