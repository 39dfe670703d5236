"""The message bus between controllers and invokers (port in ``ports``, names in ``topics``).

``open_bus(url)`` picks the implementation from a URL, without doing any I/O:

    memory://                      an in-process bus (standalone); share the instance
    kafka://host:port[,host:port]  Apache Kafka through aiokafka; a query tunes the clients:
                                   ?linger_ms=0&acks=1&fetch_max_wait_ms=500&max_batch_size=
                                   16384 (``kafka.KafkaSettings``: the defaults and why)
    local:///path/to/bus.sock      a ``local.LocalBroker`` on this host (standalone's invoker)
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from whisk.bus.ports import DEFAULT_MAX_MESSAGE_BYTES, Bus, Consumer, Producer, Record
from whisk.errors import InvalidArgument

__all__ = ["DEFAULT_MAX_MESSAGE_BYTES", "Bus", "Consumer", "Producer", "Record", "open_bus"]


def open_bus(
    url: str, *, max_message_bytes: int = DEFAULT_MAX_MESSAGE_BYTES, client_id: str = "whisk"
) -> Bus:
    scheme, separator, rest = url.partition("://")
    if separator and scheme == "memory" and rest in ("", "/"):
        from whisk.bus.memory import MemoryBus

        return MemoryBus(max_message_bytes=max_message_bytes)
    if separator and scheme == "local" and rest.startswith("/"):
        from whisk.bus.local import LocalBus

        return LocalBus(rest, max_message_bytes=max_message_bytes)
    if separator and scheme == "kafka" and rest:
        rest, _, query = rest.partition("?")
        hosts = tuple(h.strip() for h in rest.rstrip("/").split(","))
        for host in hosts:
            parts = urlsplit(f"//{host}")
            try:
                port = parts.port
            except ValueError:
                port = None
            if not parts.hostname or port is None or parts.path or parts.query:
                raise InvalidArgument(f"invalid kafka bootstrap address {host!r} in {url!r}")
        from whisk.bus.kafka import KafkaBus, KafkaSettings

        options: dict[str, str] = {}
        for name, values in parse_qs(query, keep_blank_values=True).items():
            if len(values) != 1:
                raise InvalidArgument(f"kafka option {name!r} given {len(values)} times in {url!r}")
            options[name] = values[0]
        return KafkaBus(
            KafkaSettings(
                bootstrap=hosts, client_id=client_id, max_message_bytes=max_message_bytes
            ).with_options(options)
        )
    raise InvalidArgument(
        f"unsupported bus URL {url!r} (memory://, local:///path/to/bus.sock or kafka://host:port[,...])"
    )
