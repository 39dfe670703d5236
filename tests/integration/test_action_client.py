"""The action client against a local HTTP server on a Unix socket: a /run answer over its
``max_bytes`` is not read whole (as OpenWhisk's container client), its size still known."""

from __future__ import annotations

import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web

from invoker.containers.action_client import ActionClient

BIG = b'{"blob": "' + b"x" * 3_000_000 + b'"}'
CHUNKED = web.AppKey("chunked", bool)


async def answer(request: web.Request) -> web.StreamResponse:
    if request.app[CHUNKED]:
        response = web.StreamResponse()
        response.enable_chunked_encoding()
        await response.prepare(request)
        for start in range(0, len(BIG), 65536):
            await response.write(BIG[start : start + 65536])
        await response.write_eof()
        return response
    return web.Response(body=BIG, content_type="application/json")


@pytest.fixture(params=[False, True], ids=["content-length", "chunked"])
async def socket_path(request: pytest.FixtureRequest) -> AsyncIterator[str]:
    app = web.Application()
    app[CHUNKED] = request.param
    app.router.add_post("/run", answer)
    runner = web.AppRunner(app)
    await runner.setup()
    with tempfile.TemporaryDirectory(prefix="ac") as directory:
        path = str(Path(directory) / "s.sock")
        site = web.UnixSite(runner, path)
        await site.start()
        yield path
        await runner.cleanup()


async def test_a_run_answer_over_the_limit_keeps_its_head_and_its_size(socket_path: str) -> None:
    client = ActionClient(unix_path=socket_path)
    try:
        cut = await client.run({}, 10, max_bytes=1000)
        whole = await client.run({}, 10, max_bytes=len(BIG))
        unbounded = await client.run({}, 10)
    finally:
        await client.close()
    assert (cut.status, cut.body, cut.full_size) == (200, BIG[:1000], len(BIG))
    assert (whole.body, whole.full_size) == (BIG, len(BIG))
    assert unbounded.body == BIG
