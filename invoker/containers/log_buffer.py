"""Where a container's output waits until an activation collects it (asyncio, no other I/O).

A reader task (Docker attach stream, or a subprocess's pipes) ``append``s lines as they come;
``collect`` hands one activation its lines, waiting for the sentinels with OpenWhisk's timeouts:
2 s idle between lines, ``max(5, limit in MB) * 2`` s overall.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable, Iterable

from invoker.containers.logs import SENTINEL, LogCollector, rfc3339_nano
from invoker.containers.ports import CollectedLogs, LogLine

IDLE_TIMEOUT_S = 2.0
MAX_BUFFERED_BYTES = 16 * 1024 * 1024


class LogBuffer:
    def __init__(
        self,
        max_buffered_bytes: int = MAX_BUFFERED_BYTES,
        idle_timeout_s: float = IDLE_TIMEOUT_S,
        clock_ns: Callable[[], int] = time.time_ns,
    ) -> None:
        self._lines: deque[LogLine] = deque()
        self._bytes = 0
        self._max_bytes = max_buffered_bytes
        self._idle_timeout_s = idle_timeout_s
        self._clock_ns = clock_ns
        self._eof = False
        self._arrived = asyncio.Event()
        self._lock = asyncio.Lock()

    def now(self) -> str:
        return rfc3339_nano(self._clock_ns())

    def append(self, lines: Iterable[LogLine]) -> None:
        for line in lines:
            size = len(line.text)
            if self._bytes + size > self._max_bytes and not line.text.endswith(SENTINEL):
                continue  # nobody collects this much; the collector will report truncation
            self._bytes += size
            self._lines.append(line)
        self._arrived.set()

    def close(self) -> None:
        """The output ended (the container or process is gone)."""
        self._eof = True
        self._arrived.set()

    @property
    def closed(self) -> bool:
        return self._eof

    async def collect(self, limit_bytes: int, wait_for_sentinel: bool) -> CollectedLogs:
        """The lines up to the sentinel on both streams (or, without ``wait_for_sentinel``,
        whatever arrived so far)."""
        if not self._lock.locked():
            # Usually the sentinels arrived with (before) the /run answer: no lock, no waiting.
            collector = LogCollector(limit_bytes)
            if self._take(collector):
                return collector.finish(self.now())
            if not wait_for_sentinel:
                return collector.finish(self.now())
            return await self._collect_waiting(collector, limit_bytes, wait=True)
        return await self._collect_waiting(
            LogCollector(limit_bytes), limit_bytes, wait_for_sentinel
        )

    def _take(self, collector: LogCollector) -> bool:
        """Move buffered lines into ``collector`` until it is complete; whether it is."""
        lines = self._lines
        while lines:
            line = lines.popleft()
            self._bytes -= len(line.text)
            if collector.add(line):
                return True
        return False

    async def _collect_waiting(
        self, collector: LogCollector, limit_bytes: int, wait: bool
    ) -> CollectedLogs:
        async with self._lock:
            total_s = max(5.0, limit_bytes / (1024 * 1024)) * 2
            loop = asyncio.get_running_loop()
            deadline = loop.time() + total_s
            expired = False
            while True:
                if self._take(collector) or not wait:
                    return collector.finish(self.now())
                remaining = min(self._idle_timeout_s, deadline - loop.time())
                if expired or self._eof or remaining <= 0:
                    return collector.finish(self.now(), incomplete=True)
                self._arrived.clear()
                try:
                    async with asyncio.timeout(remaining):
                        await self._arrived.wait()
                except TimeoutError:
                    expired = True  # take what arrived meanwhile, then give up
