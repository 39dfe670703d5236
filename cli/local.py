"""``whisk action run --local FILE``: the debug loop without a server.

The action runs through the same action proxy the invoker uses: in its runtime image through
``invoker.containers.docker.DockerFactory`` when an engine answers and the image is there, else
as a local process (``invoker.containers.process.ProcessFactory``, no isolation). One fresh
container per run: /init with the code, /run with the parameters, the logs up to the sentinels,
then the container is destroyed. The outcome is judged by the invoker's own rules
(``invoker.pool.outcomes``).

stdout: the result JSON. stderr: progress lines, the logs in OpenWhisk's stored format, the
duration. Exit 0 on success, 246 (as ``action invoke``) on an application or developer error.

``--event`` puts a realistic simulated event under the ``-p`` parameters (``event_payload``);
``--watch`` runs again whenever the file (or a file under the directory) changes.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
import structlog

from cli.artifacts import infer_kind, read_code
from cli.command import PlainCommand
from cli.deploy import zip_directory
from cli.output import go_duration, to_json
from cli.params import collect
from invoker.containers.docker import DockerFactory
from invoker.containers.docker_config import DockerSettings
from invoker.containers.docker_engine import DockerEngine
from invoker.containers.ports import ContainerFactory, ContainerSpec
from invoker.containers.process import ProcessFactory, ProcessSettings
from invoker.pool.outcomes import init_outcome, run_outcome
from whisk.config import DEFAULT_RUNTIMES_MANIFEST
from whisk.entities.activation import ActivationResponse
from whisk.entities.exec import looks_binary
from whisk.entities.runtimes import RuntimeKind, RuntimeManifest
from whisk.errors import InvalidArgument, WhiskError

EVENTS = ("alarm", "kafka", "http")
ERROR_EXIT = 502 - 256  # as `whisk action invoke` for an application or developer error
NAMESPACE = "local"
TIMEOUT_MS = 60_000
MEMORY_MB = 256
LOG_LIMIT = 10 * 1024 * 1024
MAX_RESULT_BYTES = 5 * 1024 * 1024
POLL_S = 0.5


# -- pure ----------------------------------------------------------------------------------------


def event_payload(event: str | None, params: Mapping[str, Any], now: datetime) -> dict[str, Any]:
    """The parameters of one run: the simulated ``event`` with ``params`` over it."""
    params = dict(params)
    if event is None:
        return params
    if event == "alarm":
        base: dict[str, Any] = {"type": "alarm", "date": _iso(now)}
        extra = params.pop("trigger_payload", None)
        if isinstance(extra, dict):
            base.update(extra)
    elif event == "kafka":
        base = {"messages": [{"topic": "whisk-local", "partition": 0, "offset": 0, "key": None,
                              "value": "hello from whisk action run --local"}]}  # fmt: skip
    elif event == "http":
        base = {
            "__ow_method": "get",
            "__ow_headers": {"accept": "*/*", "host": "localhost", "user-agent": "whisk-local",
                             "x-forwarded-for": "127.0.0.1"},
            "__ow_path": "",
        }  # fmt: skip
    else:
        raise InvalidArgument(f"Unknown --event '{event}': use one of {', '.join(EVENTS)}.")
    return {**base, **params}


def _iso(now: datetime) -> str:
    """``2024-05-01T10:00:00.123Z`` (UTC, milliseconds), as JavaScript's ``toISOString``."""
    return now.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass(frozen=True)
class Source:
    """What to run: the code as /init wants it, the runtime and the entry point."""

    name: str
    code: str
    binary: bool
    runtime: RuntimeKind
    main: str

    @property
    def family(self) -> str:
        return "nodejs" if self.runtime.family == "nodejs" else "python"


def init_body(source: Source, activation_id: str, deadline_ms: int) -> dict[str, Any]:
    env = {
        "__OW_NAMESPACE": NAMESPACE,
        "__OW_ACTION_NAME": f"/{NAMESPACE}/{source.name}",
        "__OW_ACTION_VERSION": "0.0.1",
        "__OW_ACTIVATION_ID": activation_id,
        "__OW_TRANSACTION_ID": activation_id,
        "__OW_DEADLINE": str(deadline_ms),
    }
    return {"name": source.name, "main": source.main, "code": source.code,
            "binary": source.binary, "env": env}  # fmt: skip


def run_body(
    params: dict[str, Any], source: Source, activation_id: str, deadline_ms: int
) -> dict[str, Any]:
    return {
        "value": params,
        "namespace": NAMESPACE,
        "action_name": f"/{NAMESPACE}/{source.name}",
        "action_version": "0.0.1",
        "activation_id": activation_id,
        "transaction_id": activation_id,
        "deadline": str(deadline_ms),
    }


def error_message(response: ActivationResponse) -> str:
    result = response.result
    if isinstance(result, dict) and "error" in result:
        error = result["error"]
        return error if isinstance(error, str) else json.dumps(error)
    return str(result)


# -- reading the action --------------------------------------------------------------------------


def load_source(path: Path, kind: str | None, main: str | None) -> Source:
    manifest = RuntimeManifest.from_json(json.loads(DEFAULT_RUNTIMES_MANIFEST.read_text()))
    if not path.exists():
        raise InvalidArgument(f"File '{path}' does not exist.")
    if path.is_dir():
        if not kind:
            raise InvalidArgument("Running a directory needs --kind (e.g. python:3.11).")
        code = zip_directory(path)
    else:
        kind = kind or infer_kind(str(path))
        code = read_code(str(path))
    runtime = manifest.resolve(kind)
    binary = path.is_dir() or path.suffix.lower() == ".zip" or (
        looks_binary(code) and path.suffix.lower() not in (".py", ".js"))  # fmt: skip
    if runtime.family not in ("python", "nodejs"):
        raise InvalidArgument(f"Kind '{kind}' cannot run locally: use python or nodejs kinds.")
    return Source(path.stem or path.name, code, binary, runtime, main or "main")


def stamp(path: Path) -> float:
    """The newest modification time of the file, or of any file under the directory."""
    if path.is_dir():
        times = [p.stat().st_mtime for p in path.rglob("*") if p.is_file()]
        return max(times, default=path.stat().st_mtime)
    return path.stat().st_mtime if path.exists() else 0.0


# -- running -------------------------------------------------------------------------------------


def say(text: str) -> None:
    click.echo(text, err=True)


@contextmanager
def quiet_structlog() -> Iterator[None]:
    """The factories log warnings (e.g. the process sandbox's); keep them off stdout."""
    saved = structlog.get_config()
    structlog.configure(
        wrapper_class=structlog.make_filtering_bound_logger(40),
        logger_factory=lambda *_: structlog.PrintLogger(sys.stderr),
        cache_logger_on_first_use=False,
    )
    try:
        yield
    finally:
        structlog.configure(**saved)


async def docker_ready(image: str) -> str | None:
    """None when the engine (DOCKER_HOST, the docker context or the local socket) answers and
    has ``image``; else why not."""
    engine = DockerEngine(workers=1)
    try:
        if not await engine.ping():
            return "no Docker engine answers"
        await engine.inspect_image(image)
        return None
    except WhiskError as exc:
        return f"image {image} is not available ({exc.message})"
    finally:
        await engine.close()


async def make_factory(
    source: Source, docker: bool | None, runtime_dir: str
) -> tuple[ContainerFactory, str]:
    """The factory to use and how to describe it."""
    image = source.runtime.image
    if docker is not False:
        problem = await docker_ready(image)
        if problem is None:
            settings = DockerSettings(
                instance_label=f"whisk-local-{os.getpid()}",
                runtime_dir=runtime_dir,
            )
            return DockerFactory(settings), f"docker image {image}"
        if docker:
            raise InvalidArgument(
                f"--docker: {problem}. Start one with scripts/docker-engine.sh and build the "
                "images with scripts/build-images.sh, or use --no-docker."
            )
        say(f"docker: {problem}; running as a local process instead")
    settings = ProcessSettings(instance_label="whisk-local", runtime_dir=runtime_dir)
    return ProcessFactory(settings), "process sandbox: no isolation"


async def run_once(source: Source, params: dict[str, Any], docker: bool | None) -> bool:
    """One cold run; prints everything; True on success."""
    runtime_dir = tempfile.mkdtemp(prefix="whisk-local-")
    factory: ContainerFactory | None = None
    try:
        factory, described = await make_factory(source, docker, runtime_dir)
        say(f"starting {source.family} runtime ({described})")
        activation_id = uuid.uuid4().hex
        spec = ContainerSpec(
            name=f"whisk_local_{activation_id[:12]}", kind=source.runtime.kind,
            image=source.runtime.image, memory_mb=MEMORY_MB,
        )  # fmt: skip
        container = await factory.create(spec)
        try:
            return await _exercise(container, source, params, activation_id)
        finally:
            await container.destroy()
    finally:
        if factory is not None:
            await factory.close()
        shutil.rmtree(runtime_dir, ignore_errors=True)


async def _exercise(container: Any, source: Source, params: dict[str, Any], aid: str) -> bool:
    deadline = int(time.time() * 1000) + TIMEOUT_MS
    say(f"initializing {source.name} (kind {source.runtime.kind}, main {source.main})")
    init = await container.initialize(init_body(source, aid, deadline), TIMEOUT_MS / 1000)
    response = init_outcome(init, TIMEOUT_MS)
    run_ms = 0
    if response is None:
        say("running")
        deadline = int(time.time() * 1000) + TIMEOUT_MS
        answer = await container.run(run_body(params, source, aid, deadline), TIMEOUT_MS / 1000)
        response = run_outcome(answer, TIMEOUT_MS, MAX_RESULT_BYTES)
        run_ms = answer.duration_ms
    sentinels = bool(source.runtime.raw.get("sentinelledLogs", True))
    logs = await container.logs(LOG_LIMIT, sentinels and not response.is_container_error)
    say("logs:" if logs.lines else "logs: (none)")
    for line in logs.lines:
        say(f"  {line.formatted()}")
    click.echo(to_json(response.result, sort_keys=True))
    status = response.status_code.status
    say(f"{status} in {go_duration(run_ms)} (init {go_duration(init.duration_ms)})")
    if not response.success:
        say(f"error: {error_message(response)}")
    return response.success


def run_local(
    path: Path,
    params: dict[str, Any],
    kind: str | None,
    main: str | None,
    event: str | None,
    docker: bool | None,
    watch: bool,
    max_runs: int | None,
) -> bool:
    """Run (and with ``watch`` run again on every change); the last run's success."""
    runs, seen, succeeded = 0, stamp(path), False
    with quiet_structlog():
        while True:
            try:
                source = load_source(path, kind, main)
                payload = event_payload(event, params, datetime.now(UTC))
                succeeded = asyncio.run(run_once(source, payload, docker))
            except WhiskError as exc:
                if not watch:
                    raise
                say(f"error: {exc.message}")  # a half-saved file: wait for the next change
                succeeded = False
            runs += 1
            if not watch or (max_runs is not None and runs >= max_runs):
                return succeeded
            say(f"watching {path} for changes (Ctrl-C to stop)")
            while (current := stamp(path)) == seen:
                time.sleep(POLL_S)
            seen = current
            say(f"{path} changed: running again")


@click.command("run", cls=PlainCommand)
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--local", is_flag=True, help="Run here, without a server (required for now).")
@click.option(
    "-p",
    "--param",
    "params",
    nargs=2,
    multiple=True,
    metavar="KEY VALUE",
    help="Parameter; VALUE is JSON when it parses, else a string.",
)
@click.option("-P", "--param-file", help="JSON file of parameters.")
@click.option("--kind", help="Runtime kind (default: from the file's extension).")
@click.option("--main", help="Entry point (default: main).")
@click.option("--event", type=click.Choice(EVENTS), help="Simulate this event under the params.")
@click.option(
    "--docker/--no-docker",
    default=None,
    help="Run in the runtime image (default: when Docker answers) or as a process.",
)
@click.option("--watch", is_flag=True, help="Run again whenever FILE changes (Ctrl-C stops).")
@click.option("--watch-runs", type=int, hidden=True, help="Stop watching after this many runs.")
@click.pass_context
def run(
    ctx: click.Context, file: Path, local: bool, params: tuple[tuple[str, str], ...],
    param_file: str | None, kind: str | None, main: str | None, event: str | None,
    docker: bool | None, watch: bool, watch_runs: int | None,
) -> None:  # fmt: skip
    """Run the action in FILE (a source file, a zip or a directory) through the action proxy,
    printing its result (stdout), its logs and its duration (stderr)."""
    if not local:
        raise InvalidArgument(
            "Only --local runs are supported: 'whisk action run --local FILE'. To run an action "
            "on the server use 'whisk action invoke NAME'."
        )
    values = collect(params, param_file, "parameter")
    try:
        ok = run_local(file, values, kind, main, event, docker, watch, watch_runs)
    except KeyboardInterrupt:
        say("stopped")
        ctx.exit(0)
    if not ok:
        ctx.exit(ERROR_EXIT)
