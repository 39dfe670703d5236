"""Compositions (sequences, conductors) run as tasks the controller owns; a blocking caller
waits on one up to the controller's blocking cap, then gets 202 while it goes on."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any

from controller.requests import InvokeOutcome
from whisk.entities.activation import Activation


class BackgroundRuns:
    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[Any]] = set()

    def start(self, run: Coroutine[Any, Any, Activation]) -> asyncio.Task[Activation]:
        task = asyncio.create_task(run)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def outcome(
        self,
        activation_id: str,
        task: asyncio.Task[Activation],
        *,
        blocking: bool,
        wait_ms: int | None,
        cap_ms: int,
    ) -> InvokeOutcome:
        if not blocking:
            return InvokeOutcome(activation_id, None)
        wait = min(wait_ms or cap_ms, cap_ms)
        try:
            finished = await asyncio.wait_for(asyncio.shield(task), wait / 1000)
        except TimeoutError:
            return InvokeOutcome(activation_id, None)
        return InvokeOutcome(activation_id, finished)

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
