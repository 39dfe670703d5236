"""The two Docker streams that outlive a call (no ``docker`` import here; ``docker_engine``
opens them with the SDK and hands them over).

- ``AttachedOutput``: a container's stdout + stderr. A plain socket (Unix, TCP) is duplicated and
  read by the event loop, and the SDK's copy closed, so no thread waits per container; any other
  (TLS) is read by a thread of its own.
- ``Events``: the SDK's blocking event iterator, drained by a thread of its own into the loop.

Both register in the adapter's set of open streams, so closing the adapter closes them.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import ssl
import threading
from collections.abc import AsyncIterator
from typing import Any

import structlog

log = structlog.get_logger(__name__)

CHUNK = 65536


class Closable:
    def close(self) -> None: ...


class AttachedOutput(Closable):
    """A container's output stream. A plain socket (Unix, TCP) is duplicated and read by the
    event loop, and the SDK's copy closed; any other (TLS) is read by a thread of its own."""

    def __init__(self, registry: set[Closable]) -> None:
        self._registry = registry
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._queue: asyncio.Queue[bytes | None] | None = None
        self._raw: Any = None
        self._closed = False
        registry.add(self)

    @classmethod
    async def open(cls, raw: Any, registry: set[Closable]) -> AttachedOutput:
        stream = cls(registry)
        inner = getattr(raw, "_sock", raw)
        if isinstance(inner, socket.socket) and not isinstance(inner, ssl.SSLSocket):
            duplicate = inner.dup()
            close_quietly(raw)
            close_quietly(inner)
            duplicate.setblocking(False)
            stream._reader, stream._writer = await asyncio.open_connection(sock=duplicate)
        else:
            stream._raw = raw
            stream._queue = asyncio.Queue()
            loop = asyncio.get_running_loop()
            threading.Thread(
                target=_read_blocking,
                args=(raw, stream._queue, loop),
                daemon=True,
                name="docker-attach",
            ).start()
        return stream

    async def chunks(self) -> AsyncIterator[bytes]:
        try:
            while True:
                if self._reader is not None:
                    chunk = await self._reader.read(CHUNK)
                else:
                    assert self._queue is not None
                    chunk = await self._queue.get() or b""
                if not chunk:
                    return
                yield chunk
        except (ConnectionError, OSError) as exc:
            log.debug("docker stream ended", error=repr(exc))

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._registry.discard(self)
        if self._writer is not None:
            self._writer.close()
        if self._raw is not None:
            with contextlib.suppress(OSError):
                getattr(self._raw, "_sock", self._raw).shutdown(socket.SHUT_RDWR)
            close_quietly(self._raw)


def _read_blocking(raw: Any, queue: asyncio.Queue[bytes | None], loop: Any) -> None:
    read = getattr(raw, "recv", None) or raw.read
    try:
        while chunk := read(CHUNK):
            loop.call_soon_threadsafe(queue.put_nowait, bytes(chunk))
    except (OSError, ValueError):
        pass
    finally:
        with contextlib.suppress(RuntimeError):  # the loop closed first
            loop.call_soon_threadsafe(queue.put_nowait, None)


def close_quietly(thing: Any) -> None:
    with contextlib.suppress(Exception):
        thing.close()


class Events(Closable):
    """The SDK's event iterator, drained by a thread of its own into the loop."""

    def __init__(self, source: Any, registry: set[Closable]) -> None:
        self._source = source
        self._registry = registry
        registry.add(self)

    async def events(self) -> AsyncIterator[dict[str, Any]]:
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue()

        def drain() -> None:
            try:
                for event in self._source:
                    if isinstance(event, dict):
                        loop.call_soon_threadsafe(queue.put_nowait, event)
            except Exception as exc:  # closed under it, or the engine went away
                log.debug("docker events ended", error=repr(exc))
            finally:
                with contextlib.suppress(RuntimeError):
                    loop.call_soon_threadsafe(queue.put_nowait, None)

        threading.Thread(target=drain, daemon=True, name="docker-events").start()
        while (event := await queue.get()) is not None:
            yield event

    def close(self) -> None:
        self._registry.discard(self)
        close_quietly(self._source)
