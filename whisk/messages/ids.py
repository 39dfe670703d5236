"""Who and when on the bus: the transaction id and the controller and invoker instance ids."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from whisk.errors import InvalidArgument
from whisk.messages.wire import Json, _fail, _get, _strings

_SIZE = re.compile(r"^\s*(\d+)\s*(B|KB|MB|GB)\s*$", re.IGNORECASE)
_MB_PER_UNIT = {"MB": 1, "GB": 1024}


@dataclass(frozen=True, slots=True)
class TransactionId:
    """OpenWhisk's transaction id: an id and the epoch ms it started at."""

    id: str
    start_ms: int
    extra_logging: bool = False

    def to_json(self) -> list[Any]:
        return [self.id, self.start_ms, True] if self.extra_logging else [self.id, self.start_ms]

    @classmethod
    def from_json(cls, value: Any) -> TransactionId:
        if (
            not isinstance(value, list)
            or len(value) not in (2, 3)
            or not isinstance(value[0], str)
            or type(value[1]) is not int
            or (len(value) == 3 and not isinstance(value[2], bool))
        ):
            raise _fail('transid must be ["<tid>", <startMs>(, true)]')
        return cls(value[0], value[1], len(value) == 3 and value[2])


@dataclass(frozen=True, slots=True)
class ControllerInstanceId:
    as_string: str

    def __post_init__(self) -> None:
        if not self.as_string or not re.match(r"^[A-Za-z0-9._-]+$", self.as_string):
            raise InvalidArgument(f"invalid controller id {self.as_string!r}")

    def to_json(self) -> Json:
        return {"asString": self.as_string, "instanceType": "controller"}

    @classmethod
    def from_json(cls, obj: Any) -> ControllerInstanceId:
        if not isinstance(obj, dict):
            raise _fail("rootControllerIndex must be an object")
        return cls(_get(obj, "asString", str))


def _size_to_mb(value: str) -> int:
    m = _SIZE.match(value)
    if not m:
        raise _fail(f"size {value!r} is not like '2048 MB'")
    number, unit = int(m.group(1)), m.group(2).upper()
    if unit in _MB_PER_UNIT:
        return number * _MB_PER_UNIT[unit]
    per_mb = 1024 * 1024 if unit == "B" else 1024
    if number % per_mb:
        raise _fail(f"size {value!r} is not a whole number of MB")
    return number // per_mb


@dataclass(frozen=True, slots=True)
class InvokerInstanceId:
    """An invoker: its number, its memory for user containers and its stable name."""

    instance: int
    user_memory_mb: int
    unique_name: str | None = None
    displayed_name: str | None = None
    busy_memory_mb: int | None = None
    tags: tuple[str, ...] = ()
    dedicated_namespaces: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.instance < 0:
            raise InvalidArgument(f"invoker instance must be >= 0, got {self.instance}")
        if self.user_memory_mb < 0:
            raise InvalidArgument(f"user memory must be >= 0 MB, got {self.user_memory_mb}")

    def to_json(self) -> Json:
        obj: Json = {
            "instance": self.instance,
            "userMemory": f"{self.user_memory_mb} MB",
            "instanceType": "invoker",
            "tags": list(self.tags),
            "dedicatedNamespaces": list(self.dedicated_namespaces),
        }
        if self.busy_memory_mb is not None:
            obj["busyMemory"] = f"{self.busy_memory_mb} MB"
        if self.unique_name is not None:
            obj["uniqueName"] = self.unique_name
        if self.displayed_name is not None:
            obj["displayedName"] = self.displayed_name
        return obj

    @classmethod
    def from_json(cls, obj: Any) -> InvokerInstanceId:
        if not isinstance(obj, dict):
            raise _fail("invoker instance must be an object")
        busy = _get(obj, "busyMemory", str, optional=True)
        return cls(
            instance=_get(obj, "instance", int),
            user_memory_mb=_size_to_mb(_get(obj, "userMemory", str)),
            unique_name=_get(obj, "uniqueName", str, optional=True),
            displayed_name=_get(obj, "displayedName", str, optional=True),
            busy_memory_mb=_size_to_mb(busy) if busy is not None else None,
            tags=_strings(obj, "tags"),
            dedicated_namespaces=_strings(obj, "dedicatedNamespaces"),
        )
