"""``MemoryThrottleCounter``: the in-process twin of ``sql.throttle.SqlThrottleCounter`` (same
behaviour suite, tests/store/test_throttle_counter.py). A ``MemoryStore`` holds one as
``throttles``; a single controller (standalone) counts here rather than in its database."""

from __future__ import annotations

from whisk.throttling import Admission, CountsPush, SharedCounts, window_of


class MemoryThrottleCounter:
    """The in-process counter for a single controller (standalone)."""

    def __init__(self) -> None:
        self._windows: dict[str, tuple[int, int]] = {}
        self._flights: dict[str, dict[str, int]] = {}  # namespace -> activation id -> expiry
        self._owner: dict[str, str] = {}  # activation id -> namespace

    async def hit(self, key: str, window_ms: int) -> int:
        start, count = self._windows.get(key, (window_ms, 0))
        count = count + 1 if start == window_ms else 1
        self._windows[key] = (window_ms, count)
        return count

    async def admit(
        self, namespace: str, activation_id: str | None, now_ms: int, expires_ms: int
    ) -> Admission:
        count = await self.hit(f"invoke:{namespace}", window_of(now_ms))
        in_flight = await self.in_flight(namespace, now_ms)
        if activation_id is not None:
            await self.acquire(namespace, activation_id, expires_ms)
        return Admission(count, in_flight)

    async def acquire(self, namespace: str, activation_id: str, expires_ms: int) -> int:
        flights = self._flights.setdefault(namespace, {})
        before = len(flights) - (1 if activation_id in flights else 0)
        flights[activation_id] = expires_ms
        self._owner[activation_id] = namespace
        return before

    async def release(self, activation_id: str) -> None:
        self.release_nowait(activation_id)

    def release_nowait(self, activation_id: str) -> None:
        namespace = self._owner.pop(activation_id, None)
        if namespace is not None:
            self._flights.get(namespace, {}).pop(activation_id, None)

    async def in_flight(self, namespace: str, now_ms: int) -> int:
        flights = self._flights.get(namespace)
        if not flights:
            return 0
        for activation_id in [a for a, exp in flights.items() if exp < now_ms]:
            await self.release(activation_id)
        return len(flights)

    async def reconcile(self, push: CountsPush) -> SharedCounts:
        """The shared-counts port in process (one controller's counters reconcile here in
        tests and in single-process deployments)."""
        for (key, window), count in push.hits.items():
            start, total = self._windows.get(key, (window, 0))
            if start != window:
                if start > window:
                    continue  # a late push for a minute already over
                total = 0
            self._windows[key] = (window, total + count)
        for activation_id, namespace, expires_ms in push.added:
            await self.acquire(namespace, activation_id, expires_ms)
        for activation_id in push.released:
            await self.release(activation_id)
        windows = {}
        for key, window in push.windows:
            start, total = self._windows.get(key, (window, 0))
            windows[(key, window)] = total if start == window else 0
        in_flight = {ns: await self.in_flight(ns, push.now_ms) for ns in push.namespaces}
        return SharedCounts(windows, in_flight)
