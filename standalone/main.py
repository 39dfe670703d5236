"""``whisk standalone``: Whisk in one process with its embedded defaults.

SQLite under the state directory, the controller on ``--port``; a ``guest`` namespace with a
fresh key on first start, written to ``DIR/.wskprops`` and, when none exists, to
``~/.wskprops``. The key is never hard-coded: a missing or stale key file gets a new key.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import signal
from pathlib import Path

import click
import structlog

from controller.main import RunningController, start_controller
from controller.throttle import MemoryThrottleCounter
from invoker.main import InvokerSettings, build_invoker_service, load_invoker_settings
from invoker.service import InvokerService
from standalone.wskprops import read_wskprops, write_wskprops
from whisk import eventloop
from whisk.bus import open_bus
from whisk.config import Settings, load_settings
from whisk.entities.identity import AuthKey, hash_secret, verify_secret
from whisk.errors import InvalidArgument
from whisk.logs import configure_logging
from whisk.metrics import Metrics
from whisk.store import open_store
from whisk.store.identities import create_identity
from whisk.store.ports import Identity, Store

log = structlog.get_logger(__name__)

GUEST = "guest"


async def ensure_guest_key(store: Store, props_file: Path) -> AuthKey:
    """The guest namespace's key: the one in ``props_file`` if it still verifies, else a new
    one (created or rotated in the store)."""
    props = read_wskprops(props_file)
    existing = await store.get_identity(GUEST)
    try:
        key = AuthKey.parse(props.get("AUTH", ""))
    except InvalidArgument:
        key = None
    if existing is None:
        return await create_identity(store, GUEST, GUEST, key)
    if (
        key is not None
        and key.uuid == existing.uuid
        and verify_secret(key.secret, existing.key_hash)
    ):
        return key
    fresh = AuthKey.generate()
    await store.update_identity(
        Identity(
            subject=existing.subject,
            namespace=GUEST,
            uuid=fresh.uuid,
            key_hash=hash_secret(fresh.secret),
            blocked=False,
            limits=existing.limits,
        )
    )
    return fresh


def api_host(settings: Settings) -> str:
    host = "localhost" if settings.host in ("127.0.0.1", "0.0.0.0") else settings.host
    return f"http://{host}:{settings.port}"


def write_credentials(props_file: Path, props: dict[str, str]) -> list[Path]:
    """Write the state dir's wskprops, and ~/.wskprops (or WSK_CONFIG_FILE) when absent."""
    write_wskprops(props_file, props)
    written = [props_file]
    home_props = Path(os.environ.get("WSK_CONFIG_FILE") or Path.home() / ".wskprops")
    if not home_props.exists():
        write_wskprops(home_props, props)
        written.append(home_props)
    return written


async def run_standalone(
    settings: Settings, invoker_settings: InvokerSettings, state_dir: Path, stop: asyncio.Event
) -> None:
    """Controller and one invoker in this process, joined by the in-process bus."""
    props_file = state_dir / ".wskprops"
    store = await open_store(settings.db_url)
    bus = open_bus("memory://")
    service: InvokerService | None = None
    running: RunningController | None = None
    try:
        key = await ensure_guest_key(store, props_file)
        apihost = api_host(settings)
        metrics = Metrics()  # one /metrics on the API port for the controller and the invoker
        service = await build_invoker_service(
            invoker_settings.with_changes(api_host=invoker_settings.api_host or apihost),
            bus,
            store,
            metrics,
        )
        await service.start()
        # one controller: throttle counts in process, not in SQLite
        running = await start_controller(
            settings, store, bus, throttles=MemoryThrottleCounter(), metrics=metrics
        )
        # the invoker's first health ping makes it schedulable (about a second)
        await running.assembled.balancer.wait_until(lambda lb: lb.healthy_count() > 0, 10)
        written = write_credentials(
            props_file, {"APIHOST": apihost, "AUTH": str(key), "NAMESPACE": GUEST}
        )
        click.echo(f"Whisk standalone is up on {apihost} (state in {state_dir})", err=True)
        for path in written:
            click.echo(f"  credentials written to {path}", err=True)
        click.echo(
            f"  try: curl -u $(grep AUTH {props_file} | cut -d= -f2) "
            f"{apihost}/api/v1/namespaces/_/actions",
            err=True,
        )
        await stop.wait()
    finally:
        click.echo("Whisk standalone: shutting down", err=True)
        if running is not None:
            await running.stop()
        if service is not None:
            await service.close()
        await bus.close()
        await store.close()


@click.command("standalone")
@click.option("--port", type=int, default=3233, show_default=True, help="API port.")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind.")
@click.option(
    "--state-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Where the database and .wskprops live (default ~/.whisk).",
)
def standalone(port: int, host: str, state_dir: Path | None) -> None:
    """Run Whisk in one process: controller, store and (when available) invoker."""
    state_dir = (state_dir or Path.home() / ".whisk").expanduser().resolve()
    state_dir.mkdir(parents=True, exist_ok=True)
    environ = dict(os.environ)
    if not environ.get("WHISK_DB_URL"):
        environ["WHISK_DB_URL"] = f"sqlite+aiosqlite:///{state_dir / 'whisk.db'}"
    environ.setdefault("WHISK_LOG_FORMAT", "console")
    settings = load_settings(environ).with_changes(port=port, host=host)
    # containers of another standalone on this host (another state dir) are not our orphans
    cluster = "sa" + hashlib.sha256(str(state_dir).encode()).hexdigest()[:8]
    invoker_settings = load_invoker_settings(environ).with_changes(
        cluster=environ.get("WHISK_INVOKER_CLUSTER") or cluster
    )
    configure_logging(settings.log_format, settings.log_level)  # type: ignore[arg-type]

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await run_standalone(settings, invoker_settings, state_dir, stop)

    eventloop.run(main())
