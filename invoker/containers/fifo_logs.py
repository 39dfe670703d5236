"""Log lines through FIFOs in the container's socket directory, not through the engine.

The proxy (``--log-dir``) writes its stdout and stderr into two FIFOs the invoker made in the
bind-mounted socket directory; the invoker reads them here. The bytes reach us through the
kernel pipe at once, so when the ``/run`` answer arrives the activation's lines and sentinels are
usually already in the buffer: no wait for the container engine to relay them.

We keep a write end of each FIFO open ourselves, so our reader never sees end-of-file before the
proxy opens its end (or after it exits): the reader lives exactly as long as the container.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from pathlib import Path

from invoker.containers.log_buffer import LogBuffer
from invoker.containers.logs import LineSplitter, rfc3339_nano

STREAMS = ("stdout", "stderr")


def make_fifos(directory: Path, owner: tuple[int, int] | None) -> None:
    """The two FIFOs the proxy writes into (writable by the container's user)."""
    for name in STREAMS:
        path = directory / name
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
        os.mkfifo(path, 0o600)
        if owner is not None:
            os.chown(path, *owner)
        else:
            path.chmod(0o666)


class _Reader(asyncio.Protocol):
    def __init__(self, stream: str, splitter: LineSplitter, logs: LogBuffer) -> None:
        self._stream = stream
        self._splitter = splitter
        self._logs = logs

    def data_received(self, data: bytes) -> None:
        self._logs.append(self._splitter.feed(self._stream, data, rfc3339_nano(time.time_ns())))


class FifoLogs:
    """Reads both FIFOs of one container into its ``LogBuffer``."""

    def __init__(self) -> None:
        self._transports: list[asyncio.ReadTransport] = []
        self._keep_open: list[int] = []

    async def follow(self, directory: Path, logs: LogBuffer) -> None:
        loop = asyncio.get_running_loop()
        splitter = LineSplitter()
        for name in STREAMS:
            path = directory / name
            read_fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
            self._keep_open.append(os.open(path, os.O_WRONLY | os.O_NONBLOCK))
            transport, _ = await loop.connect_read_pipe(
                lambda stream=name: _Reader(stream, splitter, logs),  # type: ignore[misc]
                os.fdopen(read_fd, "rb", buffering=0),
            )
            self._transports.append(transport)

    def close(self) -> None:
        for transport in self._transports:
            transport.close()
        for fd in self._keep_open:
            with contextlib.suppress(OSError):
                os.close(fd)
        self._transports.clear()
        self._keep_open.clear()
