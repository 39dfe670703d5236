"""The assembled controller runs the pending sweeper with its settings, and stops it."""

from __future__ import annotations

import asyncio
from pathlib import Path

from controller.wiring import assemble_controller
from whisk.bus.memory import MemoryBus
from whisk.config import load_settings
from whisk.entities.activation import Activation, ActivationId, StatusCode
from whisk.store import memory_persistence
from whisk.store.memory import MemoryStore
from whisk.store.records import activation_record

AID = "ab" * 16


async def test_pending_sweep_starts_with_the_controller_and_closes_an_orphan(
    tmp_path: Path,
) -> None:
    # given a record left pending in 1970 by a controller that is gone
    store = MemoryStore()
    orphan = Activation.pending(
        namespace="guest",
        name="hello",
        version="0.0.1",
        subject="guest",
        activation_id=ActivationId(AID),
        start=1_000,
    )
    await store.put_activation(activation_record(orphan, None))
    settings = load_settings({"HOME": str(tmp_path), "WHISK_DB_URL": "memory://"})
    bus = MemoryBus()

    # when a controller starts
    assembled = await assemble_controller(settings, memory_persistence(store), bus)
    try:
        assert assembled.pending_sweeper is not None
        for _ in range(10_000):  # its first sweep runs at once, on the event loop
            stored = await store.get_activation("guest", AID)
            if stored is not None and stored.end:
                break
            await asyncio.sleep(0.001)
    finally:
        await assembled.close()
        await bus.close()

    # then the orphan is a whisk internal error
    stored = await store.get_activation("guest", AID)
    assert stored is not None
    assert Activation.from_stored_doc(stored.doc).status_code == StatusCode.WHISK_ERROR


async def test_pending_sweep_zero_seconds_turns_it_off(tmp_path: Path) -> None:
    settings = load_settings(
        {"HOME": str(tmp_path), "WHISK_DB_URL": "memory://", "WHISK_PENDING_SWEEP_SECONDS": "0"}
    )
    bus = MemoryBus()
    assembled = await assemble_controller(settings, memory_persistence(), bus)
    try:
        assert assembled.pending_sweeper is None
    finally:
        await assembled.close()
        await bus.close()
