"""N controller workers on one API port: ``whisk-controller --workers N``.

Python serves one core per process, so a controller that should use several cores runs
several processes. Each worker is a whole controller, exactly as if another controller had
been started beside it; the kernel spreads new connections over their listening sockets
(``SO_REUSEPORT``). Nothing is shared in memory, so nothing new needs to be kept correct:

- **ids**: controller ``C`` of ``WHISK_CONTROLLERS`` = ``K`` running ``N`` workers gives its
  worker ``i`` the id ``C * N + i`` in a cluster of ``K * N`` controllers (``worker_identity``,
  pure). Each id has its own ``completed{id}`` topic and group, its own blocking waiters, its
  own ``health{id}`` group (every worker sees every ping) and ``cacheInvalidation{id}`` group
  (a write through one worker drops the others' cached copies), and its own feed lease owner
  (leases in the database make a feed fire once across controllers, hence across workers).
- **invoker capacity**: each worker schedules onto its ``1 / (K * N)`` shard of every
  invoker's memory, as separate controllers do (OpenWhisk's sharding balancer).
- **admission**: each worker's in-memory ledger reconciles with the database like any
  other controller's (``controller/admission.py``); the pending sweeper's writes are
  conditional, so N sweepers never overwrite each other.
- **start-up**: the parent brings the database schema up to date once, before the workers
  start (N concurrent Alembic upgrades of an empty database would race); the catalog install
  and topic creation already tolerate concurrent controllers.
- **memory**: the parent is this module's ``__main__`` (``whisk-controller`` re-executes
  itself as ``python -m controller.workers``), which imports no web, database or Kafka code:
  about 30 MB of RSS instead of a whole controller's. Migrations run in a short-lived child
  (``migrate_schema``), in the parent's case and in a lone controller's, so no serving process
  carries Alembic (about 10 MB).

Not shared, by design: ``GET /metrics`` and ``GET /invokers`` answer from whichever worker
took the connection (scrape each worker's figures through a port of its own if needed), and a
record written behind by one worker may be read from another a few milliseconds before it
lands, as with separate controllers.

The parent runs no event loop and serves nothing: it starts the workers, forwards SIGTERM and
SIGINT to them, and exits once they have; if one worker exits on its own, it stops the others
and exits with that worker's code, so the process supervisor (compose, systemd, Kubernetes)
restarts the controller as a whole.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import FrameType

import structlog

from whisk.config import SettingsError, env_int, load_settings

log = structlog.get_logger(__name__)

WORKERS_ENV = "WHISK_CONTROLLER_WORKERS"
DEFAULT_WORKERS = 1  # see workers_from: the measurement behind it is in the README


@dataclass(frozen=True, slots=True)
class WorkerIdentity:
    controller_id: int
    controllers: int  # the cluster size every worker schedules for


def worker_identity(
    controller_id: int, controllers: int, workers: int, index: int
) -> WorkerIdentity:
    """Worker ``index`` of controller ``controller_id`` (of ``controllers``, each running
    ``workers``): a controller id of its own in a cluster of ``controllers * workers`` (pure)."""
    if workers < 1 or controllers < 1:
        raise SettingsError("controllers and workers must be >= 1")
    if not 0 <= index < workers:
        raise SettingsError(f"worker index {index} is not in 0..{workers - 1}")
    if not 0 <= controller_id < controllers:
        raise SettingsError(
            f"WHISK_CONTROLLER_ID {controller_id} is not in 0..{controllers - 1} "
            "(WHISK_CONTROLLERS) as several workers need"
        )
    return WorkerIdentity(controller_id * workers + index, controllers * workers)


def workers_from(environ: Mapping[str, str], option: int | None) -> int:
    """The number of workers: ``--workers``, else ``WHISK_CONTROLLER_WORKERS``, else 1.

    ``0`` means one per core. The default is 1, not the core count: a controller rarely has
    the host to itself (invokers, the database and Kafka run beside it), and on the 2-core VM
    with all of them on it, 2 workers gave 0.52x one worker's 32-client blocking throughput
    (0.028 against 0.054 of the aiohttp floor; ``bench/rest_invoke.py --controller-workers
    1,2``, 2 interleaved rounds, load average 12-46). Each worker also schedules onto its
    own shard of every invoker. Give a controller more workers where it has cores of its own.
    """
    count = option if option is not None else env_int(environ, WORKERS_ENV, DEFAULT_WORKERS)
    if count < 0:
        raise SettingsError(f"{WORKERS_ENV} must be >= 0 (0: one per core), got {count}")
    return count or (os.cpu_count() or 1)


def worker_environ(
    environ: Mapping[str, str], controller_id: int, controllers: int, workers: int, index: int
) -> dict[str, str]:
    """The environment of one worker: its own id and cluster size, and one worker of its own."""
    ident = worker_identity(controller_id, controllers, workers, index)
    return {
        **environ,
        "WHISK_CONTROLLER_ID": str(ident.controller_id),
        "WHISK_CONTROLLERS": str(ident.controllers),
        WORKERS_ENV: "1",
    }


class Supervisor:
    """Starts the worker processes and waits for them (no event loop: a blocking ``os.wait``)."""

    def __init__(self, command: Sequence[str], environs: Sequence[Mapping[str, str]]) -> None:
        self._command = list(command)
        self._environs = [dict(e) for e in environs]
        self._live: dict[int, subprocess.Popen[bytes]] = {}
        self._stopping = False

    def run(self) -> int:
        """Start every worker, then wait until all have exited; returns the exit code."""
        previous = {
            sig: signal.signal(sig, self._forward) for sig in (signal.SIGTERM, signal.SIGINT)
        }
        try:
            for index, env in enumerate(self._environs):
                proc = subprocess.Popen(self._command, env=env)
                self._live[proc.pid] = proc
                log.info("controller worker started", worker=index, pid=proc.pid)
            return self._wait()
        finally:
            self._stop_all(signal.SIGTERM)  # only if we are leaving on an exception
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def _wait(self) -> int:
        code = 0
        while self._live:
            pid, status = os.wait()
            proc = self._live.pop(pid, None)
            if proc is None:
                continue
            proc.returncode = returned = os.waitstatus_to_exitcode(status)
            exit_code = returned if returned >= 0 else 128 - returned  # -15 -> 143, as a shell
            if exit_code and not code:
                code = exit_code
            if not self._stopping:
                log.error("a controller worker exited; stopping the others", pid=pid, code=returned)
                code = code or 1  # a worker leaving on its own is a failure, even with 0
                self._stopping = True
                self._stop_all(signal.SIGTERM)
        return code

    def _forward(self, signum: int, _frame: FrameType | None) -> None:
        self._stopping = True
        self._stop_all(signum)

    def _stop_all(self, signum: int) -> None:
        for proc in list(self._live.values()):
            try:
                proc.send_signal(signum)
            except ProcessLookupError:
                pass


MIGRATE = "import sys\nfrom whisk.store.sql.migrate import upgrade\nupgrade(sys.argv[1])\n"


def migrate_schema(url: str) -> None:
    """Bring the database at ``url`` to the latest schema in a short-lived child process (its
    errors go to this process's stderr); the in-memory store has no schema."""
    if url.startswith("memory:"):
        return
    done = subprocess.run([sys.executable, "-c", MIGRATE, url], check=False)
    if done.returncode != 0:
        raise SettingsError(f"migrating the database failed (exit {done.returncode})")


def run_workers(
    environ: Mapping[str, str],
    controller_id: int,
    controllers: int,
    workers: int,
    argv: Sequence[str],
) -> int:
    """Run ``workers`` copies of ``python -m controller.main <argv> --reuse-port``."""
    command = [sys.executable, "-m", "controller.main", *argv, "--workers", "1", "--reuse-port"]
    migrate_schema(load_settings(environ).db_url)  # once, before N workers race to migrate
    environs = [
        worker_environ(environ, controller_id, controllers, workers, i) for i in range(workers)
    ]
    return Supervisor(command, environs).run()


def parent_command(workers: int, port: int, host: str) -> list[str]:
    """How ``whisk-controller`` re-executes itself as the lean parent of its workers."""
    return [
        sys.executable, "-m", "controller.workers",
        "--workers", str(workers), "--port", str(port), "--host", host,
    ]  # fmt: skip


def main(argv: Sequence[str] | None = None) -> int:
    """The parent of the workers (started by ``whisk-controller --workers N``)."""
    import argparse

    from whisk.logs import configure_logging

    parser = argparse.ArgumentParser(prog="controller.workers")
    parser.add_argument("--workers", type=int, required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--host", required=True)
    args = parser.parse_args(argv)
    settings = load_settings(os.environ)
    configure_logging(settings.log_format, settings.log_level)  # type: ignore[arg-type]
    forwarded = ["--port", str(args.port), "--host", args.host]
    return run_workers(
        os.environ, settings.controller_id, settings.controllers, args.workers, forwarded
    )


if __name__ == "__main__":
    sys.exit(main())
