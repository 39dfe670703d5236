"""``whisk-controller``: serve the API v1 with the configured store."""

from __future__ import annotations

import asyncio
import os
import signal

import click
import structlog
from aiohttp import web

from controller.app import build_app
from controller.context import Controller
from whisk.config import Settings, load_settings
from whisk.logs import configure_logging
from whisk.store import open_store

log = structlog.get_logger(__name__)


async def start_controller(settings: Settings) -> tuple[web.AppRunner, Controller]:
    """Open the store (migrating it), build the app and start listening."""
    store = await open_store(settings.db_url)
    ctl = Controller(settings=settings, store=store, manifest=settings.load_manifest())
    runner = web.AppRunner(build_app(ctl), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, settings.host, settings.port)
    await site.start()
    log.info("controller listening", host=settings.host, port=settings.port)
    return runner, ctl


async def serve(settings: Settings) -> None:
    runner, ctl = await start_controller(settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        log.info("controller stopping")
        await runner.cleanup()
        await ctl.store.close()


@click.command()
@click.option("--port", type=int, default=None, help="Port to serve the API on (default 3233).")
@click.option("--host", default=None, help="Address to bind (default 127.0.0.1).")
def main(port: int | None, host: str | None) -> None:
    """Serve Whisk's REST API (OpenWhisk API v1) from the database in WHISK_DB_URL."""
    settings = load_settings(os.environ)
    if port is not None:
        settings = settings.with_changes(port=port)
    if host is not None:
        settings = settings.with_changes(host=host)
    configure_logging(settings.log_format, settings.log_level)  # type: ignore[arg-type]
    asyncio.run(serve(settings))


if __name__ == "__main__":
    main()
