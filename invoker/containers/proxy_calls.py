"""What every container kind does the same way: ``/init`` and ``/run`` through its action
client, its log buffer, and noting when the proxy went away mid-call."""

from __future__ import annotations

from typing import Any

from invoker.containers.action_client import ActionClient
from invoker.containers.log_buffer import LogBuffer
from invoker.containers.ports import CollectedLogs, ProxyResponse


class ProxyCalls:
    """Mixed into the Docker and process containers, which set these three in ``__init__``."""

    _client: ActionClient
    _logs: LogBuffer
    _proxy_lost: bool

    async def initialize(self, payload: dict[str, Any], timeout_s: float) -> ProxyResponse:
        return self._noted(await self._client.init(payload, timeout_s))

    async def run(
        self, payload: dict[str, Any], timeout_s: float, max_bytes: int | None = None
    ) -> ProxyResponse:
        return self._noted(await self._client.run(payload, timeout_s, max_bytes))

    def _noted(self, response: ProxyResponse) -> ProxyResponse:
        self._proxy_lost = self._proxy_lost or response.connection_lost
        return response

    async def logs(self, limit_bytes: int, wait_for_sentinel: bool) -> CollectedLogs:
        return await self._logs.collect(limit_bytes, wait_for_sentinel)
