"""``whisk-controller``: serve the API v1 with the configured store and bus."""

from __future__ import annotations

import asyncio
import os
import signal
from dataclasses import dataclass

import click
import structlog
from aiohttp import web

from controller.app import build_app
from controller.metrics import register_controller_metrics
from controller.throttle import ThrottleCounter
from controller.wiring import AssembledController, assemble_controller
from controller.workers import migrate_schema, parent_command, workers_from
from whisk import eventloop
from whisk.bus import open_bus
from whisk.bus.ports import Bus
from whisk.config import Settings, load_settings
from whisk.logs import configure_logging
from whisk.metrics import Metrics
from whisk.store import open_store
from whisk.store.ports import Persistence

log = structlog.get_logger(__name__)


@dataclass(slots=True)
class RunningController:
    runner: web.AppRunner
    assembled: AssembledController

    async def stop(self) -> None:
        """Stop taking work; callers still waiting get a clean 503 (not a dropped connection),
        then the listener closes."""
        await self.assembled.close()
        await self.runner.cleanup()


async def start_controller(
    settings: Settings,
    persistence: Persistence,
    bus: Bus,
    *,
    throttles: ThrottleCounter | None = None,
    metrics: Metrics | None = None,
    reuse_port: bool = False,
) -> RunningController:
    """Assemble the controller on ``persistence`` and ``bus`` and start listening; ``GET /metrics``
    serves ``metrics`` (this process's, shared with an invoker in standalone). ``reuse_port``
    lets the other workers of this controller listen on the same port (``controller.workers``)."""
    assembled = await assemble_controller(settings, persistence, bus, throttles=throttles)
    metrics = metrics or Metrics(recording=settings.metrics)
    register_controller_metrics(metrics, assembled)
    runner = web.AppRunner(build_app(assembled.controller, metrics), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, settings.host, settings.port, reuse_port=reuse_port or None)
    await site.start()
    log.info("controller listening", host=settings.host, port=settings.port, bus=settings.bus_url)
    return RunningController(runner, assembled)


async def serve(settings: Settings, *, reuse_port: bool = False) -> None:
    persistence = await open_store(settings.db_url, migrate=False)  # main() migrated it
    bus = open_bus(settings.bus_url, client_id=f"controller{settings.controller_id}")
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    running = await start_controller(settings, persistence, bus, reuse_port=reuse_port)
    try:
        await stop.wait()
    finally:
        log.info("controller stopping")
        await running.stop()
        await bus.close()
        await persistence.close()


@click.command()
@click.option("--port", type=int, default=None, help="Port to serve the API on (default 3233).")
@click.option("--host", default=None, help="Address to bind (default 127.0.0.1).")
@click.option(
    "--workers",
    type=int,
    default=None,
    help="Controller processes sharing the port (default WHISK_CONTROLLER_WORKERS or 1; "
    "0: one per core). Each is a controller of its own (see controller/workers.py).",
)
@click.option("--reuse-port", is_flag=True, hidden=True, help="Set by the parent of workers.")
def main(port: int | None, host: str | None, workers: int | None, reuse_port: bool) -> None:
    """Serve Whisk's REST API (OpenWhisk API v1) from the database in WHISK_DB_URL, scheduling
    activations onto the bus in WHISK_BUS_URL (e.g. kafka://127.0.0.1:9092)."""
    settings = load_settings(os.environ)
    if port is not None:
        settings = settings.with_changes(port=port)
    if host is not None:
        settings = settings.with_changes(host=host)
    configure_logging(settings.log_format, settings.log_level)  # type: ignore[arg-type]
    count = workers_from(os.environ, workers)
    if count > 1:  # become the lean parent of the workers (controller/workers.py)
        command = parent_command(count, settings.port, settings.host)
        os.execv(command[0], command)
    if not reuse_port:  # a worker's parent migrated already
        migrate_schema(settings.db_url)
    eventloop.run(serve(settings, reuse_port=reuse_port))


if __name__ == "__main__":
    main()
