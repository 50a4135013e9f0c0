"""Percentiles and the machine description."""

from __future__ import annotations

import os
import platform
from collections.abc import Sequence


def percentile(sorted_values: Sequence[float], pct: float) -> float | None:
    """The `pct` percentile of already sorted values (linear interpolation), in 2 decimals."""
    if not sorted_values:
        return None
    if len(sorted_values) == 1:
        return round(float(sorted_values[0]), 2)
    rank = (len(sorted_values) - 1) * pct / 100
    low = int(rank)
    high = min(low + 1, len(sorted_values) - 1)
    value = sorted_values[low] + (sorted_values[high] - sorted_values[low]) * (rank - low)
    return round(float(value), 2)


def machine(database: str) -> dict[str, object]:
    """Cores, memory, Python, database (and the CPU model, to compare runs)."""
    memory_gb = None
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemTotal:"):
                    memory_gb = round(int(line.split()[1]) / 1024 / 1024, 1)
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    try:
        load = [round(x, 2) for x in os.getloadavg()]
    except OSError:
        load = None
    return {
        "cores": cores,
        "memory": f"{memory_gb} GB" if memory_gb is not None else None,
        "python": platform.python_version(),
        "database": database,
        "cpu": cpu,
        # Other work on the machine skews every figure; ratios within one run skew least.
        "load_average_1_5_15": load,
    }
