"""HTTP client for an action proxy's ``/init`` and ``/run`` (aiohttp, Unix socket or TCP).

One keep-alive session per container, at most ``concurrency`` connections. ``/init`` is retried
while the proxy is not listening yet (socket missing, connection refused), with short sleeps
growing from 2 to 50 ms, until its time limit; ``/run`` is sent once. Failures come back as a
``ProxyResponse`` (``timed_out`` / ``connection_lost``), never as exceptions.

A ``/run`` answer over its ``max_bytes`` is not read whole, as OpenWhisk's container client:
its first ``max_bytes`` are kept with its size (from ``Content-Length``, else counted while the
rest is read and dropped), so a result of hundreds of MB never sits in the invoker's memory.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import aiohttp
import structlog
from yarl import URL

from invoker.containers.ports import ProxyResponse
from whisk import codec

log = structlog.get_logger(__name__)

_HEADERS = {"Content-Type": "application/json", "Accept": "application/json"}
_FIRST_BACKOFF_S = 0.002
_MAX_BACKOFF_S = 0.05
_NOT_LISTENING = (FileNotFoundError, ConnectionRefusedError)


class ActionClient:
    """Talks to one proxy. Build with ``unix_path`` (our images) or ``host`` + ``port``."""

    def __init__(
        self,
        *,
        unix_path: str | None = None,
        host: str | None = None,
        port: int = 8080,
        concurrency: int = 1,
    ) -> None:
        if (unix_path is None) == (host is None):
            raise ValueError("give exactly one of unix_path or host")
        self._unix_path = unix_path
        base = "http://localhost" if unix_path else f"http://{host}:{port}"
        self._urls = {path: URL(base + path) for path in ("/init", "/run")}  # parsed once
        self._limit = max(1, concurrency)
        self._session: aiohttp.ClientSession | None = None

    def _open(self) -> aiohttp.ClientSession:
        connector: aiohttp.BaseConnector
        if self._unix_path is not None:
            connector = aiohttp.UnixConnector(path=self._unix_path, limit=self._limit)
        else:
            connector = aiohttp.TCPConnector(limit=self._limit, use_dns_cache=False)
        self._session = aiohttp.ClientSession(
            connector=connector,
            timeout=aiohttp.ClientTimeout(total=None),
            skip_auto_headers=("User-Agent",),
        )
        return self._session

    async def init(self, payload: dict[str, Any], timeout_s: float) -> ProxyResponse:
        """POST /init with ``{"value": payload}``, retrying until the proxy listens."""
        body = codec.dumps({"value": payload})
        return await self._post("/init", body, timeout_s, retry=True)

    async def run(
        self, payload: dict[str, Any], timeout_s: float, max_bytes: int | None = None
    ) -> ProxyResponse:
        """POST /run with ``payload`` as the whole body (of its answer, at most ``max_bytes``
        are kept)."""
        return await self._post("/run", codec.dumps(payload), timeout_s, False, max_bytes)

    async def _post(
        self, path: str, body: bytes, timeout_s: float, retry: bool, max_bytes: int | None = None
    ) -> ProxyResponse:
        session = self._session or self._open()
        url = self._urls[path]
        started = time.monotonic()
        backoff = _FIRST_BACKOFF_S
        try:
            async with asyncio.timeout(timeout_s):
                while True:
                    try:
                        async with session.post(url, data=body, headers=_HEADERS) as response:
                            length = response.content_length
                            if max_bytes is None or (length is not None and length <= max_bytes):
                                content = await response.read()
                                return ProxyResponse(response.status, content, _ms_since(started))
                            content, size = await _head(response, max_bytes)
                            return ProxyResponse(
                                response.status, content, _ms_since(started), size=size
                            )
                    except aiohttp.ClientConnectorError as exc:
                        if not (retry and isinstance(exc.os_error, _NOT_LISTENING)):
                            raise
                    await asyncio.sleep(backoff)
                    backoff = min(backoff * 2, _MAX_BACKOFF_S)
        except TimeoutError:
            return ProxyResponse(0, b"", _ms_since(started), timed_out=True)
        except (aiohttp.ClientConnectionError, aiohttp.ClientPayloadError) as exc:
            # ServerDisconnectedError is a ClientConnectionError: the proxy died mid-call.
            log.info("action proxy connection lost", path=path, error=repr(exc))
            return ProxyResponse(0, b"", _ms_since(started), connection_lost=True)

    async def close(self) -> None:
        if self._session is not None:
            session, self._session = self._session, None
            await session.close()


async def _head(response: aiohttp.ClientResponse, max_bytes: int) -> tuple[bytes, int]:
    """The body's first ``max_bytes`` and its whole size. With a ``Content-Length`` over the
    limit the rest is never read (the connection is closed); without one, it is counted."""
    head = bytearray()
    while len(head) < max_bytes:
        chunk = await response.content.read(max_bytes - len(head))
        if not chunk:
            return bytes(head), len(head)
        head += chunk
    size = len(head)
    if response.content_length is not None:
        response.close()  # drop the connection rather than read the rest
        return bytes(head), response.content_length
    while chunk := await response.content.read(1 << 20):
        size += len(chunk)
    return bytes(head), size


def _ms_since(started: float) -> int:
    return int((time.monotonic() - started) * 1000)
