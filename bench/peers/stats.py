"""Figures from samples, shared by the bench (project python) and the queue client (peers'
venv): standard library only."""

from __future__ import annotations

import statistics
from collections.abc import Sequence


def pct(samples: Sequence[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def latency(samples: Sequence[float], elapsed_s: float) -> dict[str, float]:
    """p50 / p99 in ms and the rate over the wall time of the run."""
    return {"p50": pct(samples, 0.5), "p99": pct(samples, 0.99), "rate": len(samples) / elapsed_s}


def median(values: Sequence[float]) -> float:
    return statistics.median(values)
