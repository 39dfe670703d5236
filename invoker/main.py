"""``whisk-invoker``: one invoker process taking activations from ``invoker{N}`` on Kafka.

``build_invoker_service(settings, bus, store)`` is the wiring (container factory, pool, stem
cells from the runtime manifest, ``Invoker``, ``InvokerService``); standalone mode calls it
with its in-process bus and its store. ``main`` reads the environment and the options, opens
Kafka and the database, and runs the service until SIGTERM or SIGINT, which drain it: no new
work, running activations finish, records are stored, acks sent, containers removed. A second
signal during the drain stops at once (running activations are lost, containers removed).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path
from typing import Any

import click
import structlog

from invoker.containers.docker import DockerFactory
from invoker.containers.docker_config import DockerSettings
from invoker.containers.docker_engine import DockerEngine
from invoker.containers.ports import ContainerFactory
from invoker.containers.process import ProcessFactory, ProcessSettings
from invoker.health import start_health_server
from invoker.invoker import Invoker, InvokerConfig
from invoker.metrics import register_invoker_metrics
from invoker.pool.config import PoolConfig, stem_cells_from_manifest
from invoker.pool.pool import ContainerPool
from invoker.service import InvokerService, InvokerServiceConfig
from whisk import eventloop
from whisk.bus import Bus, open_bus
from whisk.config import DEFAULT_RUNTIMES_MANIFEST, SettingsError, env_int, load_settings
from whisk.entities.encryption import ParameterEncryption
from whisk.entities.runtimes import RuntimeManifest
from whisk.errors import WhiskError
from whisk.logs import configure_logging
from whisk.messages import InvokerInstanceId
from whisk.metrics import Metrics
from whisk.store import open_store
from whisk.store.ports import Store

log = structlog.get_logger(__name__)


class FactoryChoice(StrEnum):
    DOCKER = "docker"
    PROCESS = "process"
    AUTO = "auto"  # Docker when its socket answers, else processes (with a loud warning)


@dataclass(frozen=True, slots=True)
class InvokerSettings:
    instance: int = 0
    user_memory_mb: int = 2048
    factory: FactoryChoice = FactoryChoice.AUTO
    runtimes_manifest: Path = DEFAULT_RUNTIMES_MANIFEST
    min_action_memory_mb: int = 128
    stem_cells: bool = True
    ping_interval_s: float = 1.0
    topic_prefix: str = ""
    docker_host: str | None = None  # None: DOCKER_HOST / the docker context / the local socket
    runtime_dir: str | None = None  # sockets / process dirs (factory default when None)
    pause_grace_s: float = 10.0  # Docker only; processes are never paused
    api_host: str | None = None  # __OW_API_HOST in every action container
    cluster: str = ""  # names this deployment: containers of other stacks are not our orphans
    health_port: int | None = None  # GET /ping and /metrics (OpenWhisk's 8085); None: none
    health_host: str = "0.0.0.0"
    parameter_encryption: ParameterEncryption = field(default_factory=ParameterEncryption)
    metrics: bool = True  # WHISK_METRICS=off: record no activation figures

    def __post_init__(self) -> None:
        if self.instance < 0:
            raise SettingsError(f"the invoker id must be >= 0, got {self.instance}")
        if self.user_memory_mb <= 0:
            raise SettingsError("the invoker needs some user memory (MB > 0)")
        if self.health_port is not None and not 0 < self.health_port < 65536:
            raise SettingsError(f"the health port must be 1-65535, got {self.health_port}")

    @property
    def name(self) -> str:
        return f"invoker{self.instance}"

    @property
    def label(self) -> str:
        """What marks this invoker's containers (orphan removal) and starts their names."""
        return f"{self.cluster}-{self.name}" if self.cluster else self.name

    def with_changes(self, **changes: Any) -> InvokerSettings:
        return replace(self, **{k: v for k, v in changes.items() if v is not None})


def load_invoker_settings(environ: Mapping[str, str]) -> InvokerSettings:
    """``WHISK_INVOKER_*`` variables, plus the manifest and the smallest action memory the
    controller uses (``WHISK_RUNTIMES_MANIFEST``, ``WHISK_LIMIT_MEMORY_MIN_MB``)."""
    base = load_settings(environ)
    health_port = env_int(environ, "WHISK_INVOKER_HEALTH_PORT", 0) or None
    factory = environ.get("WHISK_INVOKER_FACTORY") or FactoryChoice.AUTO.value
    if factory not in set(FactoryChoice):
        raise SettingsError(f"WHISK_INVOKER_FACTORY must be docker, process or auto: {factory!r}")
    return InvokerSettings(
        instance=env_int(environ, "WHISK_INVOKER_ID", 0),
        user_memory_mb=env_int(environ, "WHISK_INVOKER_USER_MEMORY_MB", 2048),
        factory=FactoryChoice(factory),
        runtimes_manifest=base.runtimes_manifest,
        min_action_memory_mb=base.system_limits.ranges.memory_mb.min,
        topic_prefix=environ.get("WHISK_KAFKA_TOPIC_PREFIX", ""),
        docker_host=_docker_host(environ),
        runtime_dir=environ.get("WHISK_INVOKER_RUNTIME_DIR") or None,
        api_host=environ.get("WHISK_API_HOST") or None,
        cluster=environ.get("WHISK_INVOKER_CLUSTER") or environ.get("WHISK_KAFKA_TOPIC_PREFIX", ""),
        health_port=health_port,
        health_host=environ.get("WHISK_INVOKER_HEALTH_HOST") or "0.0.0.0",
        parameter_encryption=base.parameter_encryption,
        metrics=base.metrics,
    )


def _docker_host(environ: Mapping[str, str]) -> str | None:
    """``WHISK_DOCKER_HOST`` (any Docker host URL), else ``WHISK_DOCKER_SOCKET`` (a Unix socket
    path), else None: the Docker SDK's own choice (``DOCKER_HOST``, TLS variables, context)."""
    if host := environ.get("WHISK_DOCKER_HOST"):
        return host
    if socket_path := environ.get("WHISK_DOCKER_SOCKET"):
        return f"unix://{socket_path}"
    return None


def _manifest(path: Path) -> tuple[RuntimeManifest, dict[str, Any]]:
    try:
        raw = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise SettingsError(f"cannot read the runtime manifest {path}: {exc}") from exc
    return RuntimeManifest.from_json(raw), raw


async def docker_answers(host: str | None) -> bool:
    engine = DockerEngine(host, workers=1)
    try:
        return await engine.ping()
    finally:
        await engine.close()


async def missing_images(host: str | None, images: list[str]) -> list[str]:
    engine = DockerEngine(host, workers=1)
    missing = []
    try:
        for image in images:
            try:
                await engine.inspect_image(image)
            except WhiskError:
                missing.append(image)
    finally:
        await engine.close()
    return missing


async def make_factory(
    settings: InvokerSettings, images: list[str] | None = None
) -> ContainerFactory:
    choice = settings.factory
    if choice is FactoryChoice.AUTO:
        choice = FactoryChoice.PROCESS
        if not await docker_answers(settings.docker_host):
            log.warning(
                "NO DOCKER ENGINE ANSWERS: running actions as local processes, WITHOUT ISOLATION",
                host=settings.docker_host or "DOCKER_HOST or the default socket",
            )
        elif missing := await missing_images(settings.docker_host, images or []):
            log.warning(
                "Docker answers but the runtime images are missing: running actions as local "
                "processes, WITHOUT ISOLATION; build the images with scripts/build-images.sh",
                missing=missing,
            )
        else:
            choice = FactoryChoice.DOCKER
    if choice is FactoryChoice.DOCKER:
        docker = DockerSettings(
            instance_label=settings.label,
            user_memory_mb=settings.user_memory_mb,
            host=settings.docker_host,
        )
        if settings.runtime_dir:
            docker = replace(docker, runtime_dir=settings.runtime_dir)
        return DockerFactory(docker)
    process = ProcessSettings(instance_label=settings.label)
    if settings.runtime_dir:
        process = replace(process, runtime_dir=settings.runtime_dir)
    return ProcessFactory(process)


async def _warn_without_skeletons(settings: InvokerSettings, images: list[str]) -> None:
    """The native skeletons (``--native``) are never pulled: say so at start when one is missing
    (its actions would end as whisk internal errors, as OpenWhisk's do)."""
    if missing := await missing_images(settings.docker_host, images):
        log.warning(
            "native action images are missing: --native actions cannot run; build them with "
            "scripts/build-images.sh native",
            missing=missing,
        )


async def build_invoker_service(
    settings: InvokerSettings, bus: Bus, store: Store, metrics: Metrics | None = None
) -> InvokerService:
    """The invoker, wired and not started: ``await service.start()``, later ``drain()``.
    The service closes the container factory it made; the bus and the store stay the caller's.
    ``metrics``: where its records' figures and its pool's state go (standalone passes the
    controller's, so one ``/metrics`` shows both)."""
    manifest, raw = _manifest(settings.runtimes_manifest)
    factory = await make_factory(settings, sorted({k.image for k in manifest.kinds.values()}))
    if isinstance(factory, DockerFactory) and manifest.blackboxes:
        await _warn_without_skeletons(settings, list(manifest.blackboxes))
    cells = stem_cells_from_manifest(raw) if settings.stem_cells else ()
    cells = tuple(c for c in cells if c.memory_mb <= settings.user_memory_mb)
    pool_config = PoolConfig(
        user_memory_mb=settings.user_memory_mb,
        stem_cells=cells,
        pause_grace_s=settings.pause_grace_s if isinstance(factory, DockerFactory) else None,
        name_prefix=f"wsk{settings.cluster}{settings.instance}",
        instance_label=settings.label,
        env={"__OW_API_HOST": settings.api_host} if settings.api_host else None,
    )
    invoker = Invoker(ContainerPool(factory, pool_config), InvokerConfig(name=settings.name))
    config = InvokerServiceConfig(
        manifest=manifest,
        min_action_memory_mb=settings.min_action_memory_mb,
        ping_interval_s=settings.ping_interval_s,
        topic_prefix=settings.topic_prefix,
        parameter_encryption=settings.parameter_encryption,
    )
    instance = InvokerInstanceId(
        settings.instance,
        settings.user_memory_mb,
        unique_name=settings.name,
        displayed_name=settings.name,
    )
    service = InvokerService(
        instance, bus, store, invoker, config, on_close=(factory.close,), metrics=metrics
    )
    if metrics is not None:
        register_invoker_metrics(metrics, service)
    return service


async def drain_on_signal(
    service: InvokerService, received: int, signals: asyncio.Queue[int]
) -> None:
    """After the first signal: drain (finish what was taken); a second signal stops at once."""
    log.info("draining on a signal", signal=signal.Signals(received).name)
    drain = asyncio.create_task(service.drain())
    again = asyncio.create_task(signals.get())
    await asyncio.wait({drain, again}, return_when=asyncio.FIRST_COMPLETED)
    if not drain.done():
        log.warning("second signal: stopping without finishing the running activations")
        drain.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await drain
    again.cancel()


async def serve(settings: InvokerSettings, bus_url: str, db_url: str) -> None:
    bus = open_bus(bus_url, client_id=settings.name)
    persistence = await open_store(db_url, migrate=False)  # the controller migrates the schema
    signals = asyncio.Queue[int]()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, signals.put_nowait, sig)
    service: InvokerService | None = None
    health = None
    metrics = Metrics(recording=settings.metrics)
    try:
        service = await build_invoker_service(settings, bus, persistence.store, metrics)
        if settings.health_port is not None:
            health = await start_health_server(metrics, settings.health_host, settings.health_port)
            log.info("invoker health port", port=settings.health_port)
        await service.start()
        await drain_on_signal(service, await signals.get(), signals)
    finally:
        if service is not None:
            await service.close()
        if health is not None:
            await health.cleanup()
        await bus.close()
        await persistence.close()


@click.command()
@click.option("--id", "instance", type=int, default=None, help="Stable invoker number N.")
@click.option("--user-memory", type=int, default=None, help="MB for action containers (2048).")
@click.option("--bus", "bus_url", default=None, help="Bus URL, e.g. kafka://127.0.0.1:59092.")
@click.option(
    "--health-port",
    type=int,
    default=None,
    help="Port of GET /ping and /metrics (WHISK_INVOKER_HEALTH_PORT; none by default).",
)
@click.option(
    "--factory",
    type=click.Choice([c.value for c in FactoryChoice]),
    default=None,
    help="Where actions run: docker, process (no isolation) or auto.",
)
def main(
    instance: int | None,
    user_memory: int | None,
    bus_url: str | None,
    health_port: int | None,
    factory: str | None,
) -> None:
    """Run invoker N: take activations from Kafka topic invoker<N>, run them in containers,
    store their records (WHISK_DB_URL) and acknowledge them to the controllers."""
    try:
        base = load_settings(os.environ)
        settings = load_invoker_settings(os.environ).with_changes(
            instance=instance,
            user_memory_mb=user_memory,
            health_port=health_port,
            factory=FactoryChoice(factory) if factory else None,
        )
    except SettingsError as exc:
        raise click.UsageError(str(exc)) from exc
    url = bus_url or os.environ.get("WHISK_BUS_URL") or ""
    if not url.startswith("kafka://"):
        raise click.UsageError(
            "the invoker process needs a shared bus: --bus kafka://host:port (or WHISK_BUS_URL)"
        )
    configure_logging(base.log_format, base.log_level)  # type: ignore[arg-type]
    eventloop.run(serve(settings, url, base.db_url))


if __name__ == "__main__":
    main()
