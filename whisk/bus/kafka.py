"""The Kafka bus: the only module that imports aiokafka.

Producers send with ``max_request_size`` = the bus's ``max_message_bytes`` (OpenWhisk: 1 MiB
of payload + 6068 bytes of overhead); topics are created with the same ``max.message.bytes``
so the broker accepts what the producer lets through. Consumers never auto-commit, start at
the earliest record of a new group, and fetch with ``getmany(max_records=n)`` so the caller
takes only what it can run. aiokafka errors become ``Unavailable`` (or ``PayloadTooLarge``)
with the original chained.

Client settings (``KafkaSettings``; a bus URL's query overrides them:
``kafka://host:9092?linger_ms=0&acks=1&max_batch_size=65536&fetch_max_wait_ms=500``), chosen
by measurement on the 2-core VM, 2026-12-07, under load averages of 10-50 from other work,
so every figure is a ratio within one interleaved run:

- **Batching without lingering.** aiokafka keeps one produce request in flight per broker;
  whatever is sent meanwhile (acks of activations finishing together, activations of
  concurrent invokes) waits in the accumulator and leaves as one batch when it returns. A
  lone send leaves at once. So the invoker's acks (one ``send`` per completion from the
  activation's own task, no flush) are batched already, and ``linger_ms`` only adds a wait:
  ``bench/kafka_acks.py`` measured a lone send 7.4x slower with ``linger_ms=5`` (6.1 against
  0.83 ms; aiokafka sleeps out the linger after each request), and the distributed
  ``bench/rest_invoke.py`` accepted non-blocking invokes at 0.51x the rate (0.044 against
  0.086 of the floor) and was no better anywhere. ``linger_ms=0``.
- **Batch size 64 KiB** (aiokafka's default 16 KiB): 200 acks of 400 bytes sent at once went
  in 2 produce requests instead of 6 and were all acknowledged in 0.45x the time
  (``bench/kafka_acks.py``); end to end, within the noise (32-client blocking 0.060 against
  0.062 of the floor).
- **acks=1**: ``acks=all`` measured the same on one broker (32-client 0.065 against 0.062 of
  the floor; lone send 1.10x); on a replicated cluster it adds a follower round trip to every
  invoke, and Whisk's guarantee is at most once anyway (a message lost with a leader ends as
  a whisk internal error when the controller's slot times out).
- **fetch_max_wait_ms=500** (Kafka's default): the broker answers a waiting fetch as soon
  as a record arrives (``fetch_min_bytes=1``), so the wait bounds only idle polls;
  ``fetch_max_wait_ms=10`` measured within the noise (32-client 0.063 against 0.062) while
  making idle consumers ask 50x as often.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace

import structlog
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import (
    KafkaError,
    MessageSizeTooLargeError,
    RecordListTooLargeError,
    RecordTooLargeError,
    TopicAlreadyExistsError,
    for_code,
)

from whisk.bus import topics
from whisk.bus.ports import DEFAULT_MAX_MESSAGE_BYTES, Bus, Consumer, Producer, Record
from whisk.errors import InvalidArgument, PayloadTooLarge, Unavailable

log = structlog.get_logger(__name__)

_TOO_LARGE = (MessageSizeTooLargeError, RecordTooLargeError, RecordListTooLargeError)


@dataclass(frozen=True, slots=True)
class KafkaSettings:
    bootstrap: tuple[str, ...]
    client_id: str = "whisk"
    max_message_bytes: int = DEFAULT_MAX_MESSAGE_BYTES
    request_timeout_ms: int = 30_000
    # A message the producer could not deliver within this is failed and dropped, never
    # delivered later (aiokafka expires a batch this long after it was made; without
    # idempotence nothing retries it after that). It must stay below the controller's publish
    # timeout (10 s, ``InvocationConfig.publish_timeout_ms``): a caller answered 503 because
    # the bus did not take its activation must never see it run once the broker is back.
    # Found by the fault suite: a broker down for 17 s delivered messages answered 503 at 10 s.
    delivery_timeout_ms: int = 8_000
    session_timeout_ms: int = 10_000
    heartbeat_interval_ms: int = 3_000
    # OpenWhisk: the longest action time plus one minute (default action max: 5 min).
    max_poll_interval_ms: int = 6 * 60_000
    fetch_max_wait_ms: int = 500
    acks: str = "1"  # "0", "1" or "all"
    linger_ms: int = 0
    max_batch_size: int = 65_536  # aiokafka's default is 16 KiB: see the module docstring

    def __post_init__(self) -> None:
        if not self.bootstrap or not all(self.bootstrap):
            raise InvalidArgument("kafka needs at least one bootstrap host:port")
        if self.acks not in ("0", "1", "all"):
            raise InvalidArgument(f"kafka acks must be 0, 1 or all, got {self.acks!r}")
        if self.linger_ms < 0 or self.fetch_max_wait_ms < 0 or self.max_batch_size < 1:
            raise InvalidArgument("kafka linger and fetch wait must be >= 0, batch size >= 1")

    def with_options(self, options: Mapping[str, str]) -> KafkaSettings:
        """These settings with ``options`` (a bus URL's query: ``acks``, ``linger_ms``,
        ``fetch_max_wait_ms``, ``max_batch_size``) applied; an unknown name is refused."""
        changes: dict[str, str | int] = {}
        for name, raw in options.items():
            if name == "acks":
                changes[name] = raw
            elif name in _INT_OPTIONS:
                try:
                    changes[name] = int(raw)
                except ValueError:
                    raise InvalidArgument(f"kafka option {name} must be an integer") from None
            else:
                raise InvalidArgument(f"unknown kafka option {name!r}")
        return replace(self, **changes)  # type: ignore[arg-type]


_INT_OPTIONS = ("linger_ms", "fetch_max_wait_ms", "max_batch_size")


@contextlib.contextmanager
def _translated(what: str) -> Iterator[None]:
    try:
        yield
    except _TOO_LARGE as exc:
        raise PayloadTooLarge(f"kafka refused a message as too large ({what})") from exc
    except KafkaError as exc:
        raise Unavailable(f"kafka: {what} failed: {exc}") from exc
    except (OSError, TimeoutError) as exc:
        raise Unavailable(f"kafka: {what} failed: {exc}") from exc


class KafkaProducer(Producer):
    def __init__(self, producer: AIOKafkaProducer) -> None:
        self._producer = producer
        self._closed = False

    async def send(self, topic: str, value: bytes, key: bytes | None = None) -> None:
        if self._closed:
            raise Unavailable("the bus producer is closed")
        with _translated(f"send to {topic}"):
            await self._producer.send_and_wait(topics.validate_topic(topic), value, key=key)

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            await self._producer.stop()
        except (KafkaError, OSError) as exc:
            log.warning("bus.producer_close_failed", error=str(exc))


class KafkaConsumer(Consumer):
    def __init__(self, consumer: AIOKafkaConsumer, topic: str, group_id: str) -> None:
        self.topic = topic
        self.group_id = group_id
        self._consumer = consumer
        self._consumed: dict[TopicPartition, int] = {}  # next offset after what poll returned
        self._next: dict[TopicPartition, int] = {}  # the same, kept across commits (for lag)
        self._closed = False

    async def poll(self, max_records: int, timeout_s: float = 0.5) -> list[Record]:
        if max_records < 1:
            raise InvalidArgument(f"max_records must be >= 1, got {max_records}")
        if self._closed:
            raise Unavailable("the bus consumer is closed")
        with _translated(f"poll {self.topic}"):
            fetched = await self._consumer.getmany(
                timeout_ms=max(0, int(timeout_s * 1000)), max_records=max_records
            )
        batch: list[Record] = []
        for tp, messages in sorted(fetched.items(), key=lambda item: item[0].partition):
            for m in messages:
                batch.append(Record(m.topic, m.offset, m.value or b"", m.key, m.partition))
            if messages:
                self._consumed[tp] = self._next[tp] = messages[-1].offset + 1
        return batch

    def lag(self) -> int | None:
        total, known = 0, False
        for tp, position in list(self._next.items()):
            try:
                highwater = self._consumer.highwater(tp)
            except AssertionError:  # the partition went to another member of the group
                continue
            if highwater is not None:
                total, known = total + max(0, highwater - position), True
        return total if known else None

    async def commit(self) -> None:
        if self._closed:
            raise Unavailable("the bus consumer is closed")
        if not self._consumed:
            return
        offsets, self._consumed = self._consumed, {}
        with _translated(f"commit {self.topic}"):
            await self._consumer.commit(offsets)

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            await self._consumer.stop()
        except (KafkaError, OSError) as exc:
            log.warning("bus.consumer_close_failed", topic=self.topic, error=str(exc))


class KafkaBus(Bus):
    def __init__(self, settings: KafkaSettings) -> None:
        self.settings = settings
        self.max_message_bytes = settings.max_message_bytes
        self._admin: AIOKafkaAdminClient | None = None
        self._admin_lock = asyncio.Lock()
        self._known_topics: set[str] = set()
        self._clients: list[Producer | Consumer] = []
        self._closed = False

    def _check_open(self) -> None:
        if self._closed:
            raise Unavailable("the bus is closed")

    async def producer(self) -> Producer:
        self._check_open()
        s = self.settings
        producer = AIOKafkaProducer(
            bootstrap_servers=list(s.bootstrap),
            client_id=s.client_id,
            acks=s.acks if s.acks == "all" else int(s.acks),
            linger_ms=s.linger_ms,
            max_batch_size=s.max_batch_size,
            max_request_size=s.max_message_bytes,
            request_timeout_ms=s.delivery_timeout_ms,
            enable_idempotence=False,
        )
        with _translated("start producer"):
            try:
                await producer.start()
            except BaseException:
                await producer.stop()
                raise
        adapter = KafkaProducer(producer)
        self._clients.append(adapter)
        return adapter

    async def consumer(self, topic: str, group_id: str) -> Consumer:
        self._check_open()
        if not group_id:
            raise InvalidArgument("a consumer needs a group id")
        # Create it first: a consumer subscribed to a missing topic may not see it appear
        # until its next metadata refresh (minutes).
        await self.ensure_topic(topic)
        s = self.settings
        consumer = AIOKafkaConsumer(
            topic,
            bootstrap_servers=list(s.bootstrap),
            client_id=s.client_id,
            group_id=group_id,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            max_partition_fetch_bytes=2 * s.max_message_bytes,
            fetch_max_bytes=4 * s.max_message_bytes,
            fetch_max_wait_ms=s.fetch_max_wait_ms,
            request_timeout_ms=s.request_timeout_ms,
            session_timeout_ms=s.session_timeout_ms,
            heartbeat_interval_ms=s.heartbeat_interval_ms,
            max_poll_interval_ms=s.max_poll_interval_ms,
        )
        with _translated(f"start consumer of {topic}"):
            try:
                await consumer.start()
            except BaseException:
                await consumer.stop()
                raise
        adapter = KafkaConsumer(consumer, topic, group_id)
        self._clients.append(adapter)
        return adapter

    async def _admin_client(self) -> AIOKafkaAdminClient:
        async with self._admin_lock:
            if self._admin is None:
                admin = AIOKafkaAdminClient(
                    bootstrap_servers=list(self.settings.bootstrap),
                    client_id=f"{self.settings.client_id}-admin",
                    request_timeout_ms=self.settings.request_timeout_ms,
                )
                with _translated("start admin client"):
                    try:
                        await admin.start()
                    except BaseException:
                        await admin.close()
                        raise
                self._admin = admin
            return self._admin

    async def ensure_topic(self, name: str, retention_ms: int | None = None) -> None:
        self._check_open()
        topics.validate_topic(name)
        if name in self._known_topics:
            return
        retention = retention_ms if retention_ms is not None else topics.retention_ms(name)
        if retention <= 0:
            raise InvalidArgument(f"retention must be > 0 ms, got {retention}")
        admin = await self._admin_client()
        config = {"retention.ms": str(retention), "max.message.bytes": str(self.max_message_bytes)}
        with _translated(f"create topic {name}"):
            response = await admin.create_topics(
                [NewTopic(name, num_partitions=1, replication_factor=1, topic_configs=config)]
            )
            for _topic, code, *_rest in response.topic_errors:
                error = for_code(code)
                if code and error is not TopicAlreadyExistsError:
                    raise error(f"creating topic {name}")
        self._known_topics.add(name)
        log.debug("bus.topic_ensured", topic=name, retention_ms=retention)

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        for client in self._clients:
            await client.close()
        self._clients.clear()
        if self._admin is not None:
            try:
                await self._admin.close()
            except (KafkaError, OSError) as exc:
                log.warning("bus.admin_close_failed", error=str(exc))
            self._admin = None
