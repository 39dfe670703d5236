"""Write stamps: epoch milliseconds that never repeat or go back within one store.

Listings order by ``updated``, so two writes in the same millisecond must still differ;
the stamp is ``max(now, last + 1)``.
"""

from __future__ import annotations

import time
from collections.abc import Callable


def wall_clock_ms() -> int:
    return time.time_ns() // 1_000_000


class WriteStamps:
    """Hands out strictly increasing epoch-ms stamps (not thread-safe; one per event loop)."""

    def __init__(self, now_ms: Callable[[], int] = wall_clock_ms) -> None:
        self._now_ms = now_ms
        self._last = 0

    def next(self) -> int:
        self._last = max(self._now_ms(), self._last + 1)
        return self._last
