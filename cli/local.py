"""``whisk action run --local FILE``: the debug loop without a server.

The action runs once through the invoker's public entry ``invoker.local.run_action_once``: the
same action proxy and the same /init and /run bodies as the pool, in its runtime image when a
Docker engine answers and has the image, else as a local process (no isolation); one fresh
container per run, destroyed afterwards. This module reads the file, simulates events, watches
for changes and prints.

stdout: the result JSON. stderr: progress lines, the logs in OpenWhisk's stored format, the
duration. Exit 0 on success, 246 (as ``action invoke``) on an application or developer error.

``--event`` puts a realistic simulated event under the ``-p`` parameters (``event_payload``);
``--watch`` runs again whenever the file (or a file under the directory) changes.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
import structlog

from cli.artifacts import infer_kind, read_code, zip_directory
from cli.command import PlainCommand
from cli.options import param_opts, with_options
from cli.output import go_duration, to_json
from cli.params import collect
from invoker.local import LocalAction, run_action_once
from whisk.config import DEFAULT_RUNTIMES_MANIFEST
from whisk.entities.activation import ActivationResponse
from whisk.entities.exec import looks_binary
from whisk.entities.runtimes import RuntimeManifest
from whisk.errors import InvalidArgument, WhiskError

EVENTS = ("alarm", "kafka", "http")
ERROR_EXIT = 502 - 256  # as `whisk action invoke` for an application or developer error
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


def error_message(response: ActivationResponse) -> str:
    result = response.result
    if isinstance(result, dict) and "error" in result:
        error = result["error"]
        return error if isinstance(error, str) else json.dumps(error)
    return str(result)


# -- reading the action --------------------------------------------------------------------------


def load_source(path: Path, kind: str | None, main: str | None) -> LocalAction:
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
    return LocalAction(path.stem or path.name, code, binary, runtime, main or "main")


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


async def run_once(action: LocalAction, params: dict[str, Any], docker: bool | None) -> bool:
    """One cold run; prints everything; True on success."""
    run = await run_action_once(action, params, docker, progress=say)
    say("logs:" if run.logs.lines else "logs: (none)")
    for line in run.logs.lines:
        say(f"  {line.formatted()}")
    response = run.response
    click.echo(to_json(response.result, sort_keys=True))
    status = response.status_code.status
    say(f"{status} in {go_duration(run.run_ms)} (init {go_duration(run.init_ms)})")
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
@with_options(param_opts)
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
