"""``python -m standalone.invoker_process``: standalone's invoker, in a child process.

``whisk standalone`` starts this with ``WHISK_BUS_URL`` naming its local broker
(``local:///STATE/bus.sock``), the same ``WHISK_DB_URL`` and the deployment's
``WHISK_INVOKER_CLUSTER``, and holds the write end of a pipe on this process's stdin. Then:

- SIGTERM or SIGINT drains the invoker (no new work, running activations finish, records
  stored, acks sent, containers removed); a second signal stops at once.
- End of file on stdin means the parent is gone (it exited, or was killed with ``kill -9``):
  the broker went with it, so nothing is drained; the invoker stops at once, flushing its
  records and removing its containers, and the process exits after at most
  ``ORPHAN_EXIT_S`` whatever happens.

Logs go to the inherited stderr, in the parent's format.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import threading
import time

import structlog

from invoker.main import (
    InvokerSettings,
    build_invoker_service,
    drain_on_signal,
    load_invoker_settings,
)
from invoker.service import InvokerService
from whisk import eventloop
from whisk.bus import open_bus
from whisk.config import SettingsError, load_settings
from whisk.logs import configure_logging
from whisk.store import open_store

log = structlog.get_logger(__name__)

ORPHAN_EXIT_S = 15.0
PARENT_GONE = -1


def watch_parent(loop: asyncio.AbstractEventLoop, events: asyncio.Queue[int]) -> None:
    """A daemon thread blocked on stdin (the parent's pipe) that reports its end, then makes
    sure the process ends even if stopping hangs."""

    def run() -> None:
        with contextlib.suppress(OSError, ValueError):
            while os.read(0, 4096):
                pass
        with contextlib.suppress(RuntimeError):  # the loop already closed
            loop.call_soon_threadsafe(events.put_nowait, PARENT_GONE)
        time.sleep(ORPHAN_EXIT_S)
        os._exit(1)

    threading.Thread(target=run, name="parent-watch", daemon=True).start()


async def serve(settings: InvokerSettings, bus_url: str, db_url: str) -> None:
    events = asyncio.Queue[int]()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, events.put_nowait, sig)
    watch_parent(loop, events)
    bus = open_bus(bus_url, client_id=settings.name)
    persistence = await open_store(db_url, migrate=False)  # the parent migrated the schema
    service: InvokerService | None = None
    try:
        service = await build_invoker_service(settings, bus, persistence.store)
        starting = asyncio.ensure_future(service.start())
        first = asyncio.ensure_future(events.get())
        await asyncio.wait({starting, first}, return_when=asyncio.FIRST_COMPLETED)
        if not starting.done():  # a signal, or the parent died, while starting: stop at once
            starting.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await starting
            return
        starting.result()
        event = await first
        if event == PARENT_GONE:
            log.warning("the standalone process is gone: stopping the invoker at once")
            return
        await drain_on_signal(service, event, events)
    finally:
        if service is not None:
            await service.close()
        await bus.close()
        await persistence.close()


def main() -> None:
    try:
        base = load_settings(os.environ)
        settings = load_invoker_settings(os.environ)
    except SettingsError as exc:
        print(f"standalone invoker: {exc}", file=sys.stderr)
        sys.exit(2)
    bus_url = os.environ.get("WHISK_BUS_URL", "")
    if not bus_url.startswith("local://"):
        print("standalone invoker: WHISK_BUS_URL must name a local:// broker", file=sys.stderr)
        sys.exit(2)
    configure_logging(base.log_format, base.log_level)  # type: ignore[arg-type]
    eventloop.run(serve(settings, bus_url, base.db_url))


if __name__ == "__main__":
    main()
