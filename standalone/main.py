"""``whisk standalone``: Whisk in one command with its embedded defaults.

SQLite under the state directory, the controller on ``--port``; a ``guest`` namespace with a
fresh key on first start, written to ``DIR/.wskprops`` and, when none exists, to
``~/.wskprops``. The key is never hard-coded: a missing or stale key file gets a new key.
Parameters are stored as given, as in OpenWhisk, unless encryption is asked for
(``--encrypt-parameters``, ``WHISK_PARAMETER_ENCRYPTION=on`` or ``WHISK_PARAMETER_KEY``; the key
is made once in ``DIR/parameter.key``: ``standalone/parameter_key.py``).

Where the invoker runs (``--invoker``, or ``WHISK_STANDALONE_INVOKER``):

- ``process``: a child process
  (``standalone.invoker_process``) joined to this one by a local broker on ``DIR/bus.sock``
  (``whisk.bus.local``) that serves this process's in-process bus, with the same SQLite file
  (WAL mode lets both write). The controller's work and the invoker's then use a core each.
  The child shares this process's stderr; it is drained on shutdown (SIGTERM, then SIGKILL
  after ``DRAIN_TIMEOUT_S``) and stops by itself when this process dies, even by ``kill -9``
  (it watches a pipe on its stdin). If it exits on its own, standalone stops with an error.
- ``in-process`` (the default): both in this process, joined by the in-process bus.

Measured on the 2-core VM, interleaved in one run (bench/rest_invoke.py --standalone-invoker):
the child process gives 1.18-1.29x the 32-client blocking throughput, but the two socket hops
per activation add about 0.6 ms (+32-35 %) to the single-client p50 (1.9 -> 2.5 ms), so the
default stays in-process until that hop is cheaper.

Either way the invoker's containers carry this state directory's cluster label, so a later
start reaps what a killed one left behind.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import shutil
import signal
import sys
import tempfile
from collections.abc import Mapping
from enum import StrEnum
from pathlib import Path
from typing import Any

import click
import structlog

from controller.main import RunningController, start_controller
from controller.throttle import MemoryThrottleCounter
from invoker.main import InvokerSettings, build_invoker_service, load_invoker_settings
from invoker.service import InvokerService
from standalone.parameter_key import with_parameter_key
from standalone.wskprops import read_wskprops, write_wskprops
from whisk import eventloop
from whisk.bus import open_bus
from whisk.bus.local import SOCKET_PATH_MAX, LocalBroker
from whisk.bus.memory import MemoryBus
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
DRAIN_TIMEOUT_S = 25.0  # then the invoker process is killed (under the harnesses' 30 s)
READY_TIMEOUT_S = {"in-process": 10.0, "process": 120.0}  # to the invoker's first ping


class InvokerMode(StrEnum):
    IN_PROCESS = "in-process"
    PROCESS = "process"


def choose_invoker_mode(flag: str | None, environ: Mapping[str, str]) -> InvokerMode:
    """The flag, else ``WHISK_STANDALONE_INVOKER``, else in this process (see above)."""
    chosen = flag or environ.get("WHISK_STANDALONE_INVOKER") or ""
    if not chosen:
        return InvokerMode.IN_PROCESS
    try:
        return InvokerMode(chosen)
    except ValueError:
        raise click.UsageError(
            f"the invoker runs in-process or in a process, not {chosen!r}"
        ) from None


def bus_socket_path(state_dir: Path) -> tuple[Path, Path | None]:
    """``DIR/bus.sock``, or one in a fresh short temporary directory (returned second, to
    remove) when that path is too long for a Unix socket."""
    path = state_dir / "bus.sock"
    if len(str(path)) <= SOCKET_PATH_MAX:
        return path, None
    directory = Path(tempfile.mkdtemp(prefix="whisk-"))
    return directory / "bus.sock", directory


def invoker_environment(
    environ: Mapping[str, str], bus_url: str, db_url: str, settings: InvokerSettings
) -> dict[str, str]:
    """What the invoker process reads: this process's environment, and what it decided."""
    return {
        **environ,
        "WHISK_BUS_URL": bus_url,
        "WHISK_DB_URL": db_url,
        "WHISK_INVOKER_ID": str(settings.instance),
        "WHISK_INVOKER_CLUSTER": settings.cluster,
        **({"WHISK_API_HOST": settings.api_host} if settings.api_host else {}),
    }


class InvokerProcess:
    """The invoker in a child process: started, waited for, drained, killed if need be."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.exited = asyncio.ensure_future(process.wait())

    @classmethod
    async def spawn(cls, environ: Mapping[str, str]) -> InvokerProcess:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "standalone.invoker_process",
            stdin=asyncio.subprocess.PIPE,  # its end of file tells the child we are gone
            env=dict(environ),
            start_new_session=True,  # the terminal's Ctrl-C reaches us only; we drain it
        )
        return cls(process)

    async def stop(self, timeout_s: float = DRAIN_TIMEOUT_S) -> int:
        if not self.exited.done():
            with contextlib.suppress(ProcessLookupError):
                self.process.terminate()
            try:
                await asyncio.wait_for(asyncio.shield(self.exited), timeout_s)
            except TimeoutError:
                log.warning("the invoker process did not drain in time: killing it")
                with contextlib.suppress(ProcessLookupError):
                    self.process.kill()
        code = await self.exited
        if self.process.stdin is not None:
            self.process.stdin.close()
        return code


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
    settings: Settings,
    invoker_settings: InvokerSettings,
    state_dir: Path,
    stop: asyncio.Event,
    mode: InvokerMode = InvokerMode.IN_PROCESS,
    environ: Mapping[str, str] | None = None,
) -> None:
    """The controller in this process and one invoker, in it or in a child process (``mode``),
    joined by the in-process bus (served to the child by a local broker)."""
    props_file = state_dir / ".wskprops"
    persistence = await open_store(settings.db_url)
    bus = open_bus("memory://")
    assert isinstance(bus, MemoryBus)
    service: InvokerService | None = None
    child: InvokerProcess | None = None
    broker: LocalBroker | None = None
    socket_dir: Path | None = None
    running: RunningController | None = None
    try:
        key = await ensure_guest_key(persistence.store, props_file)
        apihost = api_host(settings)
        # one /metrics on the API port for the controller and (in this process) the invoker
        metrics = Metrics(recording=settings.metrics)
        invoker_settings = invoker_settings.with_changes(
            api_host=invoker_settings.api_host or apihost
        )
        if mode is InvokerMode.PROCESS:
            socket_path, socket_dir = bus_socket_path(state_dir)
            broker = LocalBroker(bus, socket_path)
            await broker.start()
            child = await InvokerProcess.spawn(
                invoker_environment(
                    environ if environ is not None else os.environ,
                    broker.url,
                    settings.db_url,
                    invoker_settings,
                )
            )
        else:
            service = await build_invoker_service(invoker_settings, bus, persistence.store, metrics)
            await service.start()
        # one controller: throttle counts in process, not in SQLite
        running = await start_controller(
            settings, persistence, bus, throttles=MemoryThrottleCounter(), metrics=metrics
        )
        # the invoker's first health ping makes it schedulable (about a second)
        await _until_invoker_ready(running, child, stop, READY_TIMEOUT_S[mode.value])
        written = write_credentials(
            props_file, {"APIHOST": apihost, "AUTH": str(key), "NAMESPACE": GUEST}
        )
        where = f"; invoker in process {child.process.pid}" if child is not None else ""
        click.echo(f"Whisk standalone is up on {apihost} (state in {state_dir}{where})", err=True)
        for path in written:
            click.echo(f"  credentials written to {path}", err=True)
        click.echo(
            f"  try: curl -u $(grep AUTH {props_file} | cut -d= -f2) "
            f"{apihost}/api/v1/namespaces/_/actions",
            err=True,
        )
        stopped = asyncio.ensure_future(stop.wait())
        waited: set[asyncio.Future[Any]] = {stopped}
        if child is not None:
            waited.add(child.exited)
        await asyncio.wait(waited, return_when=asyncio.FIRST_COMPLETED)
        stopped.cancel()
        if child is not None and child.exited.done():
            raise click.ClickException(
                f"the invoker process exited unexpectedly (code {child.exited.result()})"
            )
    finally:
        click.echo("Whisk standalone: shutting down", err=True)
        if running is not None:
            await running.stop()
        if child is not None:
            await child.stop()
        if service is not None:
            await service.close()
        if broker is not None:
            await broker.stop()
        if socket_dir is not None:
            shutil.rmtree(socket_dir, ignore_errors=True)
        await bus.close()
        await persistence.close()


async def _until_invoker_ready(
    running: RunningController, child: InvokerProcess | None, stop: asyncio.Event, timeout_s: float
) -> None:
    """Until the invoker's first ping, the timeout, or a stop; raises if the child exited."""
    healthy = asyncio.ensure_future(
        running.assembled.balancer.wait_until(lambda lb: lb.healthy_count() > 0, timeout_s)
    )
    stopped = asyncio.ensure_future(stop.wait())
    waited: set[asyncio.Future[Any]] = {healthy, stopped}
    if child is not None:
        waited.add(child.exited)
    await asyncio.wait(waited, return_when=asyncio.FIRST_COMPLETED)
    healthy.cancel()
    stopped.cancel()
    if child is not None and child.exited.done():
        raise click.ClickException(
            f"the invoker process exited during start-up (code {child.exited.result()})"
        )
    if healthy.done() and not healthy.cancelled() and not healthy.result():
        log.warning("the invoker has not pinged yet", timeout_s=timeout_s)


@click.command("standalone")
@click.option("--port", type=int, default=3233, show_default=True, help="API port.")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind.")
@click.option(
    "--state-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Where the database and .wskprops live (default ~/.whisk).",
)
@click.option(
    "--invoker",
    "invoker_mode",
    type=click.Choice([m.value for m in InvokerMode]),
    default=None,
    help="Run the invoker in this process (default) or in a child process, on a core of its "
    "own (env WHISK_STANDALONE_INVOKER).",
)
@click.option(
    "--encrypt-parameters",
    is_flag=True,
    default=False,
    help="Encrypt action and package parameters at rest with a key made once in the state "
    "dir (env WHISK_PARAMETER_ENCRYPTION=on; off by default, as in OpenWhisk).",
)
def standalone(
    port: int,
    host: str,
    state_dir: Path | None,
    invoker_mode: str | None,
    encrypt_parameters: bool,
) -> None:
    """Run Whisk with one command: controller, store and invoker."""
    state_dir = (state_dir or Path.home() / ".whisk").expanduser().resolve()
    state_dir.mkdir(parents=True, exist_ok=True)
    environ = dict(os.environ)
    if not environ.get("WHISK_DB_URL"):
        environ["WHISK_DB_URL"] = f"sqlite+aiosqlite:///{state_dir / 'whisk.db'}"
    environ.setdefault("WHISK_LOG_FORMAT", "console")
    # parameters encrypted at rest when asked for, with a key kept in the state dir
    if encrypt_parameters:
        environ["WHISK_PARAMETER_ENCRYPTION"] = "on"
    environ = with_parameter_key(environ, state_dir)
    settings = load_settings(environ).with_changes(port=port, host=host)
    # containers of another standalone on this host (another state dir) are not our orphans
    cluster = "sa" + hashlib.sha256(str(state_dir).encode()).hexdigest()[:8]
    invoker_settings = load_invoker_settings(environ).with_changes(
        cluster=environ.get("WHISK_INVOKER_CLUSTER") or cluster
    )
    mode = choose_invoker_mode(invoker_mode, environ)
    configure_logging(settings.log_format, settings.log_level)  # type: ignore[arg-type]

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await run_standalone(settings, invoker_settings, state_dir, stop, mode, environ)

    eventloop.run(main())
