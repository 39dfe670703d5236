"""One spelling of the transaction id in log lines: ``transid`` (OpenWhisk's), bound by the
controller's request middleware and by the invoker around each activation."""

from __future__ import annotations

from typing import Any

import pytest
import structlog
from aiohttp import web
from aiohttp.test_utils import make_mocked_request

from controller.api.middleware import transaction_middleware
from invoker.invoker import Invoker, InvokerConfig
from invoker.pool.runs import RunOutcome
from tests.unit.test_pool_scheduling import request
from whisk.entities.activation import success


async def test_the_request_middleware_binds_the_transaction_id_as_transid() -> None:
    seen: dict[str, Any] = {}

    async def handler(request: web.Request) -> web.StreamResponse:
        seen.update(structlog.contextvars.get_contextvars())
        return web.Response()

    request = make_mocked_request("GET", "/api/v1", headers={"X-Request-ID": "abc123"})
    response = await transaction_middleware(request, handler)
    assert response.headers["X-Request-ID"] == "abc123"
    assert seen == {"transid": "abc123"}
    structlog.contextvars.clear_contextvars()


class FailingPool:
    async def run(self, request: Any, *, on_accepted: Any = None) -> Any:
        raise RuntimeError("no containers")


class AnsweringPool:
    async def run(self, request: Any, *, on_accepted: Any = None) -> RunOutcome:
        return RunOutcome(success({"ok": True}), 1_000, 1_005)


# the answering pool's line is a debug line (none per activation at the default level); the
# failing pool's is an error, logged at every level
@pytest.mark.parametrize("pool", [FailingPool()])
async def test_the_invoker_logs_the_transaction_id_as_transid(pool: Any) -> None:
    invoker = Invoker(pool, InvokerConfig(name="invoker0"), wall_ms=lambda: 2_000)
    with structlog.testing.capture_logs() as logs:
        await invoker.run(request(transaction_id="t-42"))
    assert logs and all(line.get("transid") == "t-42" for line in logs)
    assert not any("tid" in line or "transaction_id" in line for line in logs)
