"""The shell around ``pending.py``: every controller periodically closes pending activation
records that are past hope as ``whisk internal error`` (the same error as a forced completion).

Each controller sweeps on its own; the write is ``complete_pending_activation``, conditional on
the record still being pending, so concurrent sweeps, a late balancer timer and a late invoker
result never overwrite one another's final record.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass

import structlog

from controller.invocation import SYSTEM_ERROR_FORCED, now_ms, record_of
from controller.pending import PendingPolicy, past_hope
from whisk.entities.activation import Activation, whisk_error
from whisk.errors import WhiskError
from whisk.store.ports import ActivationRecord, ActivationStore

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class SweeperConfig:
    interval_s: float = 60.0
    batch: int = 500  # candidates read per query

    def __post_init__(self) -> None:
        if self.interval_s <= 0 or self.batch < 1:
            raise ValueError("the sweep needs interval_s > 0 and batch >= 1")


class PendingSweeper:
    def __init__(
        self,
        store: ActivationStore,
        policy: PendingPolicy,
        config: SweeperConfig | None = None,
        clock_ms: Callable[[], int] = now_ms,
    ) -> None:
        self._store = store
        self._policy = policy
        self._config = config or SweeperConfig()
        self._clock_ms = clock_ms
        self._task: asyncio.Task[None] | None = None

    async def sweep_once(self) -> int:
        """Complete every record past hope now; returns how many this controller wrote."""
        now = self._clock_ms()
        bound = self._policy.started_before_ms(now)
        written = 0
        while True:
            batch = await self._store.list_stale_pending(bound, self._config.batch)
            moved = 0  # records that leave the listing: written here, or completed by others
            for record in batch:
                if not past_hope(record.doc, now, self._policy):
                    continue
                activation = _readable(record)
                if activation is None:
                    continue
                moved += 1
                if await self._complete(record, activation, now):
                    written += 1
            # read on while the batch was full and something moved; a full batch of hopeful
            # or unreadable records would only come back the same
            if len(batch) < self._config.batch or moved == 0:
                return written

    async def _complete(self, record: ActivationRecord, activation: Activation, now: int) -> bool:
        failed = activation.completed(whisk_error(SYSTEM_ERROR_FORCED), max(now, activation.start))
        if not await self._store.complete_pending_activation(record_of(failed, record.package)):
            return False
        log.warning(
            "pending activation past hope completed",
            activation_id=record.activation_id,
            namespace=record.namespace,
            started_ms=record.start,
        )
        return True

    async def run(self) -> None:
        """Sweep every ``interval_s`` until cancelled; a failed sweep is logged, not fatal."""
        while True:
            try:
                await self.sweep_once()
            except asyncio.CancelledError:
                raise
            except Exception:  # the database may be away for a while: keep sweeping
                log.exception("pending sweep failed")
            await asyncio.sleep(self._config.interval_s)

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self.run(), name="pending-sweeper")

    async def close(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)


def _readable(record: ActivationRecord) -> Activation | None:
    try:
        return Activation.from_stored_doc(record.doc)
    except WhiskError:
        log.warning("pending record unreadable", activation_id=record.activation_id)
        return None
