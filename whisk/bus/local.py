"""The bus between processes on one host: an in-process bus served over a Unix socket.

``LocalBroker`` serves a ``memory.MemoryBus`` (topics, groups, offsets, commits: exactly its
semantics, since the broker calls it) on a Unix socket; the process that owns the broker keeps
using that ``MemoryBus`` directly. ``LocalBus`` is the ``Bus`` port for the other processes
(``local:///path/to/bus.sock``): one connection per ``LocalBus``, every producer and consumer
it makes multiplexed on it, requests pipelined (each carries an id, replies come back in any
order). Standalone runs its invoker in a child process this way.

Wire: frames of a 4-byte big-endian length and a msgpack body (msgspec structs, tagged).
Frames written in one turn of the event loop leave in one write. A ``Poll`` waits in the broker
until a record arrives or its timeout passes (the memory bus's condition; nothing loops).

Failure semantics:

- A client that disconnects (or dies) leaves every group it was in, without committing: its
  records returned but not committed go to the next member of the group, as ``close`` does.
- A lost connection is final for that client: calls in flight and every later call raise
  ``Unavailable`` (the broker stopped, or its process died).
- A poll cancelled by its caller is cancelled in the broker too; records the broker had
  already sent are kept and returned by the consumer's next poll, in order. While such records
  wait, ``commit`` commits nothing (the group's offset would cover records not yet handed off),
  so a successor may see them again: at most once per activation id still holds through the
  invoker's de-duplication, as after any crash before a commit.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
from collections import deque
from pathlib import Path
from typing import Any, cast

import msgspec
import structlog

from whisk.bus.memory import MemoryBus, check_message_size
from whisk.bus.ports import DEFAULT_MAX_MESSAGE_BYTES, Bus, Consumer, Producer, Record
from whisk.errors import InvalidArgument, PayloadTooLarge, Unavailable, WhiskError

log = structlog.get_logger(__name__)

MAX_FRAME_BYTES = 64 * 1024 * 1024  # a peer sending more is broken: the connection closes
SOCKET_PATH_MAX = 100  # sun_path is 108 bytes on Linux, 104 on macOS


# -- frames ------------------------------------------------------------------------------------


class EnsureTopic(msgspec.Struct, tag="t", array_like=True):
    id: int
    name: str
    retention_ms: int | None


class Send(msgspec.Struct, tag="s", array_like=True):
    id: int
    topic: str
    value: bytes
    key: bytes | None


class Subscribe(msgspec.Struct, tag="j", array_like=True):
    id: int
    topic: str
    group: str


class Poll(msgspec.Struct, tag="p", array_like=True):
    id: int
    handle: int
    max_records: int
    timeout_s: float


class CancelPoll(msgspec.Struct, tag="x", array_like=True):
    id: int
    handle: int


class Commit(msgspec.Struct, tag="c", array_like=True):
    id: int
    handle: int


class Unsubscribe(msgspec.Struct, tag="u", array_like=True):
    id: int
    handle: int


class Done(msgspec.Struct, tag="D", array_like=True):
    id: int


class Joined(msgspec.Struct, tag="J", array_like=True):
    id: int
    handle: int


class Batch(msgspec.Struct, tag="B", array_like=True):
    id: int
    records: list[tuple[int, bytes, bytes | None]]  # offset, value, key
    lag: int | None = None  # the broker-side consumer's, after this batch


class Failed(msgspec.Struct, tag="F", array_like=True):
    id: int
    error: str  # a WhiskError class name from _ERRORS
    message: str


Request = EnsureTopic | Send | Subscribe | Poll | CancelPoll | Commit | Unsubscribe
Reply = Done | Joined | Batch | Failed

_ERRORS: dict[str, type[WhiskError]] = {
    "InvalidArgument": InvalidArgument,
    "PayloadTooLarge": PayloadTooLarge,
    "Unavailable": Unavailable,
}


def _error_of(failed: Failed) -> WhiskError:
    return _ERRORS.get(failed.error, Unavailable)(failed.message)


class _Framer(asyncio.Protocol):
    """Length-prefixed msgpack frames over a stream transport; writes coalesced per loop turn."""

    def __init__(self, decoder: msgspec.msgpack.Decoder[Any]) -> None:
        self._decoder = decoder
        self._encoder = msgspec.msgpack.Encoder()
        self._inbox = bytearray()
        self._outbox: list[bytes | bytearray] = []
        self._flush_scheduled = False
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's are not subclasses

    def write(self, message: msgspec.Struct) -> None:
        if self.transport is None or self.transport.is_closing():
            return
        frame = bytearray(4)
        self._encoder.encode_into(message, frame, 4)
        frame[:4] = (len(frame) - 4).to_bytes(4, "big")
        self._outbox.append(frame)
        if not self._flush_scheduled:
            self._flush_scheduled = True
            asyncio.get_running_loop().call_soon(self._flush)

    def _flush(self) -> None:
        self._flush_scheduled = False
        out, self._outbox = self._outbox, []
        if self.transport is not None and not self.transport.is_closing() and out:
            self.transport.write(out[0] if len(out) == 1 else b"".join(out))

    def data_received(self, data: bytes) -> None:
        inbox = self._inbox
        inbox += data
        start = 0
        messages = []
        with memoryview(inbox) as view:
            while len(inbox) - start >= 4:
                size = int.from_bytes(view[start : start + 4], "big")
                if size > MAX_FRAME_BYTES:
                    log.error("local_bus.frame_too_large", size=size)
                    assert self.transport is not None
                    self.transport.close()
                    return
                if len(inbox) - start - 4 < size:
                    break
                try:
                    messages.append(self._decoder.decode(view[start + 4 : start + 4 + size]))
                except msgspec.DecodeError as exc:
                    log.error("local_bus.bad_frame", error=str(exc))
                    assert self.transport is not None
                    self.transport.close()
                    return
                start += 4 + size
        if start:
            del inbox[:start]
        for message in messages:
            self.received(message)

    def received(self, message: Any) -> None:
        raise NotImplementedError


# -- the broker --------------------------------------------------------------------------------


class _BrokerConnection(_Framer):
    def __init__(self, broker: LocalBroker) -> None:
        super().__init__(msgspec.msgpack.Decoder(Request))
        self._broker = broker
        self._bus = broker.bus
        self._producer: Producer | None = None
        self._consumers: dict[int, Consumer] = {}
        self._polls: dict[int, asyncio.Task[None]] = {}
        self._next_handle = 0
        self._queue: deque[Any] = deque()
        self._wake: asyncio.Event = asyncio.Event()
        self._worker: asyncio.Task[None] | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        self._broker.connections.add(self)
        self._worker = asyncio.get_running_loop().create_task(self._work(), name="local-bus-conn")

    def connection_lost(self, exc: Exception | None) -> None:
        self._broker.connections.discard(self)
        if self._worker is not None:
            self._worker.cancel()
        for task in self._polls.values():
            task.cancel()
        self._polls.clear()
        consumers = list(self._consumers.values())
        self._consumers.clear()
        if consumers:  # leave the groups: uncommitted records go to the next member
            self._broker.spawn(self._leave(consumers))

    @staticmethod
    async def _leave(consumers: list[Consumer]) -> None:
        for consumer in consumers:
            await consumer.close()

    def received(self, message: Any) -> None:
        self._queue.append(message)
        self._wake.set()

    async def _work(self) -> None:
        """The requests of this connection in arrival order (a send is appended before the
        next request is looked at); a poll waits in a task of its own."""
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._queue:
                request = self._queue.popleft()
                try:
                    reply = await self._handle(request)
                except WhiskError as exc:
                    reply = Failed(request.id, type(exc).__name__, exc.message)
                if reply is not None:
                    self.write(reply)

    async def _handle(self, request: Any) -> Reply | None:
        if isinstance(request, Send):
            if self._producer is None:
                self._producer = await self._bus.producer()
            await self._producer.send(request.topic, request.value, request.key)
            return Done(request.id)
        if isinstance(request, Poll):
            if request.handle in self._polls:
                raise InvalidArgument("this consumer already has a poll in flight")
            consumer = self._consumer(request.handle)
            self._polls[request.handle] = asyncio.get_running_loop().create_task(
                self._poll(consumer, request), name="local-bus-poll"
            )
            return None
        if isinstance(request, CancelPoll):  # after the poll it cancels: requests keep order
            task = self._polls.get(request.handle)
            if task is not None:
                task.cancel()
            return None
        if isinstance(request, Commit):
            await self._consumer(request.handle).commit()
            return Done(request.id)
        if isinstance(request, Subscribe):
            consumer = await self._bus.consumer(request.topic, request.group)
            self._next_handle += 1
            self._consumers[self._next_handle] = consumer
            return Joined(request.id, self._next_handle)
        if isinstance(request, Unsubscribe):
            task = self._polls.pop(request.handle, None)
            if task is not None:
                task.cancel()
            found = self._consumers.pop(request.handle, None)
            if found is not None:
                await found.close()
            return Done(request.id)
        if isinstance(request, EnsureTopic):
            await self._bus.ensure_topic(request.name, request.retention_ms)
            return Done(request.id)
        raise InvalidArgument(f"unknown request {type(request).__name__}")

    def _consumer(self, handle: int) -> Consumer:
        consumer = self._consumers.get(handle)
        if consumer is None:
            raise Unavailable("the bus consumer is closed")
        return consumer

    async def _poll(self, consumer: Consumer, request: Poll) -> None:
        try:
            records = await consumer.poll(request.max_records, request.timeout_s)
            reply: Reply = Batch(
                request.id, [(r.offset, r.value, r.key) for r in records], consumer.lag()
            )
        except asyncio.CancelledError:
            reply = Batch(request.id, [], consumer.lag())  # cancelled waiting: nothing taken
        except WhiskError as exc:
            reply = Failed(request.id, type(exc).__name__, exc.message)
        finally:
            self._polls.pop(request.handle, None)
        self.write(reply)


class LocalBroker:
    """Serves ``bus`` on the Unix socket ``path`` until ``stop``; the bus stays the caller's."""

    def __init__(self, bus: MemoryBus, path: Path) -> None:
        self.bus = bus
        self.path = Path(path)
        self.connections: set[_BrokerConnection] = set()
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def url(self) -> str:
        return f"local://{self.path}"

    def spawn(self, coro: Any) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def start(self) -> None:
        if len(str(self.path)) > SOCKET_PATH_MAX:
            raise InvalidArgument(f"the bus socket path is too long for a Unix socket: {self.path}")
        if self.path.exists():
            if _answers(self.path):
                raise Unavailable(f"another broker serves {self.path}")
            self.path.unlink()  # left by a process that died
        loop = asyncio.get_running_loop()
        self._server = await loop.create_unix_server(
            lambda: _BrokerConnection(self), str(self.path)
        )
        os.chmod(self.path, 0o600)
        log.debug("local_bus.serving", path=str(self.path))

    async def stop(self) -> None:
        """Close the socket and every connection (their clients get ``Unavailable``)."""
        if self._server is None:
            return
        self._server.close()
        for connection in list(self.connections):
            if connection.transport is not None:
                connection.transport.abort()
        await self._server.wait_closed()
        self._server = None
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()


def _answers(path: Path) -> bool:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
        try:
            probe.connect(str(path))
        except OSError:
            return False
        return True


# -- the client --------------------------------------------------------------------------------


class _ClientConnection(_Framer):
    def __init__(self) -> None:
        super().__init__(msgspec.msgpack.Decoder(Reply))
        self._waiting: dict[int, asyncio.Future[Any]] = {}
        self._next_id = 0
        self.lost: str | None = None

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost = "the local bus broker closed the connection"
        waiting, self._waiting = self._waiting, {}
        for future in waiting.values():
            if not future.done():
                future.set_exception(Unavailable(self.lost))

    def received(self, message: Any) -> None:
        future = self._waiting.pop(message.id, None)
        if future is None or future.done():
            return
        if isinstance(message, Failed):
            future.set_exception(_error_of(message))
        else:
            future.set_result(message)

    def request(self, make: Any, *args: Any) -> asyncio.Future[Any]:
        """Send ``make(id, *args)``; the future resolves with its reply."""
        future = asyncio.get_running_loop().create_future()
        if self.lost is not None:
            future.set_exception(Unavailable(self.lost))
            return future
        self._next_id += 1
        self._waiting[self._next_id] = future
        self.write(make(self._next_id, *args))
        return future

    def notify(self, make: Any, *args: Any) -> None:
        """Send a request whose reply nobody waits for."""
        if self.lost is None:
            self._next_id += 1
            self.write(make(self._next_id, *args))


class LocalProducer(Producer):
    def __init__(self, bus: LocalBus) -> None:
        self._bus = bus
        self._closed = False

    async def send(self, topic: str, value: bytes, key: bytes | None = None) -> None:
        if self._closed:
            raise Unavailable("the bus producer is closed")
        check_message_size(value, key, self._bus.max_message_bytes)
        connection = await self._bus.connection()
        await connection.request(Send, topic, bytes(value), bytes(key) if key is not None else None)

    async def close(self) -> None:
        self._closed = True


class LocalConsumer(Consumer):
    def __init__(self, connection: _ClientConnection, topic: str, group_id: str, handle: int):
        self.topic = topic
        self.group_id = group_id
        self._connection = connection
        self._handle = handle
        self._in_flight: asyncio.Future[Any] | None = None
        self._kept: list[Record] = []  # sent by the broker for a poll its caller cancelled
        self._lag: int | None = None
        self._closed = False

    def lag(self) -> int | None:
        """As of the last poll's reply (no I/O), counting records kept from a cancelled poll."""
        return None if self._lag is None else self._lag + len(self._kept)

    def _records(self, batch: Batch) -> list[Record]:
        self._lag = batch.lag
        return [Record(self.topic, offset, value, key) for offset, value, key in batch.records]

    async def _settle(self) -> None:
        """Wait for a cancelled poll's reply, keeping what it brought."""
        if self._in_flight is None:
            return
        in_flight = self._in_flight
        try:
            batch = await asyncio.shield(in_flight)
        except WhiskError:
            batch = None
        if self._in_flight is in_flight:
            self._in_flight = None
            if batch is not None:
                self._kept += self._records(batch)

    async def poll(self, max_records: int, timeout_s: float = 0.5) -> list[Record]:
        if max_records < 1:
            raise InvalidArgument(f"max_records must be >= 1, got {max_records}")
        if self._closed:
            raise Unavailable("the bus consumer is closed")
        await self._settle()
        if self._kept:
            batch, self._kept = self._kept[:max_records], self._kept[max_records:]
            return batch
        future = self._connection.request(Poll, self._handle, max_records, max(timeout_s, 0.0))
        self._in_flight = future
        try:
            reply = await asyncio.shield(future)
        except asyncio.CancelledError:
            if not future.done():
                self._connection.notify(CancelPoll, self._handle)
            raise
        self._in_flight = None
        return self._records(reply)

    async def commit(self) -> None:
        if self._closed:
            raise Unavailable("the bus consumer is closed")
        await self._settle()
        if self._kept:
            return  # the broker's position covers records not handed off yet
        await self._connection.request(Commit, self._handle)

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        with contextlib.suppress(Unavailable):
            await self._connection.request(Unsubscribe, self._handle)


class LocalBus(Bus):
    """The client side: connects to the broker at ``path`` on first use (``open_bus`` does no
    I/O)."""

    def __init__(self, path: str, *, max_message_bytes: int = DEFAULT_MAX_MESSAGE_BYTES) -> None:
        self.path = path
        self.max_message_bytes = max_message_bytes
        self._connection: _ClientConnection | None = None
        self._connecting = asyncio.Lock()
        self._producers: list[LocalProducer] = []
        self._consumers: list[LocalConsumer] = []
        self._closed = False

    async def connection(self) -> _ClientConnection:
        if self._closed:
            raise Unavailable("the bus is closed")
        if self._connection is not None:
            return self._connection
        async with self._connecting:
            if self._connection is None:
                loop = asyncio.get_running_loop()
                try:
                    _, protocol = await loop.create_unix_connection(_ClientConnection, self.path)
                except OSError as exc:
                    raise Unavailable(f"no local bus broker at {self.path}: {exc}") from exc
                self._connection = protocol
        return self._connection

    async def producer(self) -> Producer:
        await self.connection()
        producer = LocalProducer(self)
        self._producers.append(producer)
        return producer

    async def consumer(self, topic: str, group_id: str) -> Consumer:
        if not group_id:
            raise InvalidArgument("a consumer needs a group id")
        connection = await self.connection()
        joined = await connection.request(Subscribe, topic, group_id)
        consumer = LocalConsumer(connection, topic, group_id, joined.handle)
        self._consumers.append(consumer)
        return consumer

    async def ensure_topic(self, name: str, retention_ms: int | None = None) -> None:
        connection = await self.connection()
        await connection.request(EnsureTopic, name, retention_ms)

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        for consumer in self._consumers:
            await consumer.close()
        for producer in self._producers:
            await producer.close()
        self._consumers.clear()
        self._producers.clear()
        if self._connection is not None and self._connection.transport is not None:
            self._connection.transport.close()
        self._connection = None
