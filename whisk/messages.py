"""Messages on the bus between controllers and invokers, as versioned JSON.

The shapes follow OpenWhisk's ``Message.scala`` where that is sensible (``transid`` as
``["<tid>", <startMs>]``, ``activationId``, ``rootControllerIndex``, ``isSystemError``,
``instance``), plus a top-level ``"v": 1`` key. A reader refuses any other version with
``MalformedRequest`` rather than guessing at a shape it does not know.

    invoker{N}   <- ActivationMessage
    completed{C} <- CompletionMessage | ResultMessage | CombinedCompletionAndResult
                    (told apart by their fields, as in OpenWhisk: ``parse_acknowledgement``)
    health       <- PingMessage

Every message is a frozen dataclass with ``to_bytes()`` and the classmethod ``from_bytes()``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field, replace
from typing import Any, Self

from whisk.errors import InvalidArgument, MalformedRequest

VERSION = 1
_ACTIVATION_ID = re.compile(r"^[0-9a-f]{32}$")
_SIZE = re.compile(r"^\s*(\d+)\s*(B|KB|MB|GB)\s*$", re.IGNORECASE)
_MB_PER_UNIT = {"MB": 1, "GB": 1024}
Json = dict[str, Any]


# --- decoding helpers -----------------------------------------------------------------------


def _fail(what: str) -> MalformedRequest:
    return MalformedRequest(f"malformed bus message: {what}")


def _decode(data: bytes) -> Json:
    if not isinstance(data, bytes | bytearray | memoryview):
        raise _fail(f"expected bytes, got {type(data).__name__}")
    try:
        obj = json.loads(bytes(data))
    except (UnicodeDecodeError, ValueError) as exc:
        raise _fail("not JSON") from exc
    if not isinstance(obj, dict):
        raise _fail("not a JSON object")
    version = obj.get("v")
    if version is None:
        raise _fail("no version key 'v'")
    if type(version) is not int or version != VERSION:
        raise MalformedRequest(
            f"unsupported bus message version {version!r} (this build reads version {VERSION})"
        )
    return obj


def _encode(obj: Json) -> bytes:
    return json.dumps({"v": VERSION, **obj}, separators=(",", ":"), ensure_ascii=False).encode()


def _get(obj: Json, key: str, kind: type | tuple[type, ...], *, optional: bool = False) -> Any:
    if key not in obj or obj[key] is None:
        if optional:
            return None
        raise _fail(f"missing field {key!r}")
    value = obj[key]
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if isinstance(value, bool) and bool not in kinds:
        raise _fail(f"field {key!r} has the wrong type")
    if not isinstance(value, kinds):
        raise _fail(f"field {key!r} has the wrong type")
    return value


def _strings(obj: Json, key: str) -> tuple[str, ...]:
    values = _get(obj, key, list, optional=True) or []
    if not all(isinstance(v, str) for v in values):
        raise _fail(f"field {key!r} must be a list of strings")
    return tuple(values)


def _check_activation_id(value: str) -> None:
    if not isinstance(value, str) or not _ACTIVATION_ID.match(value):
        raise InvalidArgument(f"activation id must be 32 lowercase hex digits, got {value!r}")


# --- parts ----------------------------------------------------------------------------------


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
            raise _fail("transid must be [\"<tid>\", <startMs>(, true)]")
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


@dataclass(frozen=True, slots=True)
class ActionRef:
    """The fully qualified name of the action to run: ``path`` is ``ns`` or ``ns/pkg``."""

    path: str
    name: str
    version: str | None = None
    binding: str | None = None

    def to_json(self) -> Json:
        obj: Json = {"path": self.path, "name": self.name}
        if self.version is not None:
            obj["version"] = self.version
        if self.binding is not None:
            obj["binding"] = self.binding
        return obj

    @classmethod
    def from_json(cls, obj: Any) -> ActionRef:
        if not isinstance(obj, dict):
            raise _fail("action must be an object")
        return cls(
            path=_get(obj, "path", str),
            name=_get(obj, "name", str),
            version=_get(obj, "version", str, optional=True),
            binding=_get(obj, "binding", str, optional=True),
        )


@dataclass(frozen=True, slots=True)
class UserRef:
    """Who invoked: the subject and the namespace the activation runs in (no secrets)."""

    subject: str
    namespace: str
    uuid: str | None = None

    def to_json(self) -> Json:
        namespace: Json = {"name": self.namespace}
        if self.uuid is not None:
            namespace["uuid"] = self.uuid
        return {"subject": self.subject, "namespace": namespace}

    @classmethod
    def from_json(cls, obj: Any) -> UserRef:
        if not isinstance(obj, dict):
            raise _fail("user must be an object")
        namespace = _get(obj, "namespace", dict)
        return cls(
            subject=_get(obj, "subject", str),
            namespace=_get(namespace, "name", str),
            uuid=_get(namespace, "uuid", str, optional=True),
        )


class _Wire:
    """to_bytes / from_bytes on top of each message's to_json / from_json."""

    __slots__ = ()

    def to_json(self) -> Json:
        raise NotImplementedError

    @classmethod
    def from_json(cls, obj: Json) -> Self:
        raise NotImplementedError

    def to_bytes(self) -> bytes:
        return _encode(self.to_json())

    @classmethod
    def from_bytes(cls, data: bytes) -> Self:
        """Read a message; anything unreadable or invalid raises ``MalformedRequest``."""
        obj = _decode(data)
        try:
            return cls.from_json(obj)
        except InvalidArgument as exc:
            raise _fail(exc.message) from exc


# --- messages -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ActivationMessage(_Wire):
    """Controller -> ``invoker{N}``: run this action revision with these arguments."""

    transid: TransactionId
    action: ActionRef
    revision: str | None
    user: UserRef
    activation_id: str
    root_controller_index: ControllerInstanceId
    blocking: bool
    content: dict[str, Any] | list[Any] | None = None
    init_args: tuple[str, ...] = ()
    locked_args: dict[str, str] = field(default_factory=dict)
    cause: str | None = None
    trace_context: dict[str, str] | None = None
    deadline_ms: int | None = None  # epoch ms when the blocking controller stops waiting
    extra: dict[str, Any] = field(default_factory=dict)  # room for fields a later v1 adds

    def __post_init__(self) -> None:
        _check_activation_id(self.activation_id)
        if self.cause is not None:
            _check_activation_id(self.cause)

    def to_json(self) -> Json:
        obj: Json = {
            "transid": self.transid.to_json(),
            "action": self.action.to_json(),
            "revision": self.revision,
            "user": self.user.to_json(),
            "activationId": self.activation_id,
            "rootControllerIndex": self.root_controller_index.to_json(),
            "blocking": self.blocking,
            "content": self.content,
            "initArgs": list(self.init_args),
            "lockedArgs": dict(self.locked_args),
        }
        optional = {
            "cause": self.cause,
            "traceContext": self.trace_context,
            "deadlineMs": self.deadline_ms,
            "extra": self.extra or None,
        }
        obj.update({k: v for k, v in optional.items() if v is not None})
        return obj

    @classmethod
    def from_json(cls, obj: Json) -> Self:
        locked = _get(obj, "lockedArgs", dict, optional=True) or {}
        trace = _get(obj, "traceContext", dict, optional=True)
        if not all(isinstance(v, str) for v in locked.values()):
            raise _fail("lockedArgs must map names to strings")
        return cls(
            transid=TransactionId.from_json(_get(obj, "transid", list)),
            action=ActionRef.from_json(_get(obj, "action", dict)),
            revision=_get(obj, "revision", str, optional=True),
            user=UserRef.from_json(_get(obj, "user", dict)),
            activation_id=_get(obj, "activationId", str),
            root_controller_index=ControllerInstanceId.from_json(
                _get(obj, "rootControllerIndex", dict)
            ),
            blocking=_get(obj, "blocking", bool),
            content=_get(obj, "content", (dict, list), optional=True),
            init_args=_strings(obj, "initArgs"),
            locked_args=dict(locked),
            cause=_get(obj, "cause", str, optional=True),
            trace_context=dict(trace) if trace is not None else None,
            deadline_ms=_get(obj, "deadlineMs", int, optional=True),
            extra=dict(_get(obj, "extra", dict, optional=True) or {}),
        )


Response = dict[str, Any] | str  # the activation record as JSON, or only its id (shrunk)


def _response(obj: Json) -> Response:
    value = _get(obj, "response", (dict, str))
    if isinstance(value, str):
        _check_activation_id(value)
    elif not isinstance(value.get("activationId"), str):
        raise _fail("response record has no activationId")
    return value


def _response_id(response: Response) -> str:
    return response if isinstance(response, str) else str(response["activationId"])


@dataclass(frozen=True, slots=True)
class CompletionMessage(_Wire):
    """Invoker -> ``completed{C}``: the slot of this activation is free again."""

    transid: TransactionId
    activation_id: str
    invoker: InvokerInstanceId
    is_system_error: bool

    def __post_init__(self) -> None:
        _check_activation_id(self.activation_id)

    def to_json(self) -> Json:
        return {
            "transid": self.transid.to_json(),
            "activationId": self.activation_id,
            "isSystemError": self.is_system_error,
            "instance": self.invoker.to_json(),
        }

    @classmethod
    def from_json(cls, obj: Json) -> Self:
        return cls(
            transid=TransactionId.from_json(_get(obj, "transid", list)),
            activation_id=_get(obj, "activationId", str),
            invoker=InvokerInstanceId.from_json(_get(obj, "instance", dict)),
            is_system_error=_get(obj, "isSystemError", bool),
        )


@dataclass(frozen=True, slots=True)
class ResultMessage(_Wire):
    """Invoker -> ``completed{C}``: the result of a blocking activation, sent before its logs."""

    transid: TransactionId
    response: Response

    def __post_init__(self) -> None:
        _check_activation_id(_response_id(self.response))

    @property
    def activation_id(self) -> str:
        return _response_id(self.response)

    def shrunk(self) -> ResultMessage:
        return replace(self, response=self.activation_id)

    def to_json(self) -> Json:
        return {"transid": self.transid.to_json(), "response": self.response}

    @classmethod
    def from_json(cls, obj: Json) -> Self:
        return cls(TransactionId.from_json(_get(obj, "transid", list)), _response(obj))


@dataclass(frozen=True, slots=True)
class CombinedCompletionAndResult(_Wire):
    """Invoker -> ``completed{C}``: frees the slot and delivers the result in one message."""

    transid: TransactionId
    response: Response
    invoker: InvokerInstanceId
    is_system_error: bool

    def __post_init__(self) -> None:
        _check_activation_id(_response_id(self.response))

    @property
    def activation_id(self) -> str:
        return _response_id(self.response)

    def shrunk(self) -> CombinedCompletionAndResult:
        return replace(self, response=self.activation_id)

    def to_json(self) -> Json:
        return {
            "transid": self.transid.to_json(),
            "response": self.response,
            "isSystemError": self.is_system_error,
            "instance": self.invoker.to_json(),
        }

    @classmethod
    def from_json(cls, obj: Json) -> Self:
        return cls(
            transid=TransactionId.from_json(_get(obj, "transid", list)),
            response=_response(obj),
            invoker=InvokerInstanceId.from_json(_get(obj, "instance", dict)),
            is_system_error=_get(obj, "isSystemError", bool),
        )


AcknowledgementMessage = CompletionMessage | ResultMessage | CombinedCompletionAndResult


def parse_acknowledgement(data: bytes) -> AcknowledgementMessage:
    """Read any message of a ``completed{C}`` topic, telling the three kinds apart by fields."""
    obj = _decode(data)
    kind: type[AcknowledgementMessage]
    if "activationId" in obj:
        kind = CompletionMessage
    elif "response" in obj and "isSystemError" in obj:
        kind = CombinedCompletionAndResult
    elif "response" in obj:
        kind = ResultMessage
    else:
        raise _fail("not an acknowledgement (no activationId nor response)")
    try:
        return kind.from_json(obj)
    except InvalidArgument as exc:
        raise _fail(exc.message) from exc


@dataclass(frozen=True, slots=True)
class PingMessage(_Wire):
    """Invoker -> ``health``, every second: I am alive, and whether I take work."""

    invoker: InvokerInstanceId
    enabled: bool = True

    def to_json(self) -> Json:
        return {"name": self.invoker.to_json(), "isEnabled": self.enabled}

    @classmethod
    def from_json(cls, obj: Json) -> Self:
        return cls(
            invoker=InvokerInstanceId.from_json(_get(obj, "name", dict)),
            enabled=_get(obj, "isEnabled", bool),
        )


@dataclass(frozen=True, slots=True)
class CacheInvalidationMessage(_Wire):
    """Controller -> ``cacheInvalidation``: I changed this entity; drop your cached copy."""

    key: str  # the entity's path: ``ns/name`` or ``ns/pkg/name``
    instance: str  # who changed it (its own message is ignored), e.g. ``controller0``

    def to_json(self) -> Json:
        return {"key": {"mainId": self.key}, "instanceId": self.instance}

    @classmethod
    def from_json(cls, obj: Json) -> Self:
        key = _get(obj, "key", dict)
        return cls(key=_get(key, "mainId", str), instance=_get(obj, "instanceId", str))
