"""Controller -> ``invoker{N}``: the ActivationMessage and its action and user references."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Self

from whisk.messages.ids import ControllerInstanceId, TransactionId
from whisk.messages.wire import Json, _check_activation_id, _fail, _get, _strings, _Wire


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
    # Whisk's own (OpenWhisk's message has none of these):
    wait_start_ms: int | None = None  # when the controller accepted it (the waitTime's start)
    annotations: tuple[dict[str, Any], ...] = ()  # record annotations only the controller knows
    api_key: str | None = None  # for actions annotated provide-api-key

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
            "waitStartMs": self.wait_start_ms,
            "annotations": list(self.annotations) or None,
            "apiKey": self.api_key,
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
            wait_start_ms=_get(obj, "waitStartMs", int, optional=True),
            annotations=_annotations(_get(obj, "annotations", list, optional=True) or []),
            api_key=_get(obj, "apiKey", str, optional=True),
        )


def _annotations(notes: list[Any]) -> tuple[dict[str, Any], ...]:
    if not all(isinstance(n, dict) and isinstance(n.get("key"), str) for n in notes):
        raise _fail("annotations must be objects with a string key")
    return tuple(notes)
