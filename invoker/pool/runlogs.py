"""One activation's log lines, collected from its container after the run.

Waits for the sentinels only when the runtime writes them and the run was not a developer
error; a developer error adds OpenWhisk's note that log data might be missing. Log limit 0 (or
log collection turned off in the pool config) skips collection.
"""

from __future__ import annotations

import time

import structlog

from invoker.containers.logs import rfc3339_nano
from invoker.containers.ports import Container, LogLine
from invoker.pool.config import MB, PoolConfig
from invoker.pool.outcomes import LOGS_MISSING
from invoker.pool.requests import RunRequest
from whisk.entities.activation import ActivationResponse

log = structlog.get_logger(__name__)


async def collect_logs(
    container: Container, request: RunRequest, response: ActivationResponse, config: PoolConfig
) -> tuple[str, ...]:
    if not config.log_collection or request.limits.logs_mb == 0:
        return ()
    failed = response.is_container_error
    wait = request.exec.sentinelled_logs and not failed
    lines: list[str] = []
    try:
        collected = await container.logs(request.limits.logs_mb * MB, wait)
        lines = [line.formatted() for line in collected.lines]
    except Exception as exc:
        log.warning("log collection failed", error=repr(exc))
    if failed:
        lines.append(LogLine(rfc3339_nano(time.time_ns()), "stderr", LOGS_MISSING).formatted())
    return tuple(lines)
