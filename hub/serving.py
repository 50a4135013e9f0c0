"""Process settings of a long-lived serving process (`wsgi.py`; the benchmark's floor relay
uses the same, so the comparison stays fair)."""

from __future__ import annotations

import atexit
import gc

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
