"""What a run asks of its container: to be created (cold starts), ``/init`` and ``/run``, and what
their answers mean (the timeout and result checks of ``outcomes``; whether a lost connection was
an OOM kill). The pool's state is not touched here."""

from __future__ import annotations

from collections.abc import Callable

import structlog

from invoker.containers.images import RESOURCE_PROVISION_ERROR, StartupError
from invoker.containers.ports import ContainerFactory
from invoker.pool.outcomes import init_outcome, run_outcome
from invoker.pool.protocol import init_payload, run_payload
from invoker.pool.proxy import ContainerProxy
from invoker.pool.requests import RunRequest
from whisk.entities.activation import ActivationResponse, developer_error, whisk_error

log = structlog.get_logger(__name__)


async def create(proxy: ContainerProxy, factory: ContainerFactory) -> ActivationResponse | None:
    """Create the container; on failure, the error to record (also given to the runs waiting
    for its /init): see ``startup_response``."""
    try:
        await proxy.create(factory)
    except Exception as exc:
        log.warning("container creation failed", container=proxy.pool_id, error=repr(exc))
        error = startup_response(exc)
        proxy.settle_init(error)
        return error
    return None


def startup_response(exc: Exception) -> ActivationResponse:
    """OpenWhisk's rule: the action's own image at fault is a developer error (never the
    invoker's health); any other failure to start a container is a whisk error."""
    if isinstance(exc, StartupError):
        return developer_error(exc.message) if exc.developer else whisk_error(exc.message)
    if isinstance(exc, OSError) and exc.strerror:
        # the record names the host's fault (found by the fault suite: a full disk under the
        # socket directories read only "Failed to provision resources ...")
        return whisk_error(f"{RESOURCE_PROVISION_ERROR[:-1]}: {exc.strerror}.")
    return whisk_error(RESOURCE_PROVISION_ERROR)


async def initialise(
    request: RunRequest, proxy: ContainerProxy, wall_ms: Callable[[], int]
) -> tuple[ActivationResponse | None, int, bool]:
    """``/init``: the developer error to record (None when it succeeded), its duration in ms,
    and whether it timed out."""
    timeout_ms = request.limits.timeout_ms
    started = wall_ms()
    answer = await proxy.handle.initialize(
        init_payload(request, started + timeout_ms), timeout_ms / 1000
    )
    init_time = wall_ms() - started
    oom = answer.connection_lost and await oom_killed(proxy)
    return init_outcome(answer, timeout_ms, oom), init_time, answer.timed_out


async def run(
    request: RunRequest, proxy: ContainerProxy, wall_ms: Callable[[], int], max_result_bytes: int
) -> tuple[ActivationResponse, bool]:
    """``/run``: the activation's response, and whether it timed out."""
    timeout_ms = request.limits.timeout_ms
    deadline = wall_ms() + timeout_ms
    payload = run_payload(request, deadline)
    answer = await proxy.handle.run(payload, timeout_ms / 1000, max_result_bytes)
    oom = answer.connection_lost and await oom_killed(proxy)
    return run_outcome(answer, timeout_ms, max_result_bytes, oom), answer.timed_out


async def oom_killed(proxy: ContainerProxy) -> bool:
    try:
        return await proxy.handle.was_oom_killed()
    except Exception as exc:
        log.warning("could not ask for an OOM kill", container=proxy.pool_id, error=repr(exc))
        return False
