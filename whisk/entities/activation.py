"""Activation records: the id, the response of a run, and the record the store keeps.

Three JSON shapes, as OpenWhisk has them:

* stored (``to_stored_doc``): ``response`` is ``{"statusCode": 0..3, "result", "size"?}``;
* REST / extended (``to_extended_json``): ``response`` drops ``statusCode`` and gains
  ``status`` (``"success"``, ``"application error"``, ...) and ``success``; ``end`` and
  ``duration`` are left out while ``end`` is 0;
* list summary (``summary_json``): no ``response`` and no ``logs``, a top-level ``statusCode``.

Pending records. Whisk writes a record when it accepts an activation, before any result exists.
Such a record has ``end == 0`` and ``response is None``. It is stored with ``"response": null``;
its REST form shows ``"response": {"status": "pending", "success": false}`` (no ``result``);
its summary has no ``statusCode``. ``Activation.pending(...)`` builds one and
``Activation.completed(...)`` turns it into a finished record.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field, replace
from enum import IntEnum
from typing import Any

from whisk.entities import messages as ow
from whisk.errors import InvalidArgument

_ID_PATTERN = re.compile(r"[0-9a-f]{32}")

PENDING_STATUS = "pending"


@dataclass(frozen=True, slots=True)
class ActivationId:
    """32 lower-case hex digits (a UUID without dashes)."""

    value: str

    def __post_init__(self) -> None:
        if not isinstance(self.value, str):
            raise InvalidArgument(ow.ACTIVATION_ID_ILLEGAL)
        if len(self.value) != 32:  # OpenWhisk checks the length first
            raise InvalidArgument(ow.activation_id_length_error(len(self.value)))
        if not _ID_PATTERN.fullmatch(self.value):
            raise InvalidArgument(ow.ACTIVATION_ID_ILLEGAL)

    @classmethod
    def new(cls) -> ActivationId:
        return cls(uuid.uuid4().hex)

    def __str__(self) -> str:
        return self.value


class StatusCode(IntEnum):
    SUCCESS = 0
    APPLICATION_ERROR = 1
    DEVELOPER_ERROR = 2
    WHISK_ERROR = 3

    @property
    def status(self) -> str:
        """The REST ``status`` string (with spaces, as OpenWhisk's REST API has it)."""
        return _STATUS_STRINGS[self]


_STATUS_STRINGS = {
    StatusCode.SUCCESS: "success",
    StatusCode.APPLICATION_ERROR: "application error",
    StatusCode.DEVELOPER_ERROR: "action developer error",
    StatusCode.WHISK_ERROR: "whisk internal error",
}


@dataclass(frozen=True, slots=True)
class ActivationResponse:
    """The outcome of one activation. ``result`` is any JSON value (usually an object);
    ``size`` the byte size of the result as the action produced it, when known."""

    status_code: StatusCode
    result: Any = None
    size: int | None = None

    def __post_init__(self) -> None:
        if type(self.status_code) is not StatusCode:  # an int from a stored record
            object.__setattr__(self, "status_code", StatusCode(self.status_code))
        if self.size is not None and self.size < 0:
            raise InvalidArgument("The response size must not be negative.")

    @property
    def success(self) -> bool:
        return self.status_code is StatusCode.SUCCESS

    @property
    def is_container_error(self) -> bool:
        """Developer and whisk errors: the container that produced them must not be reused."""
        return self.status_code in (StatusCode.DEVELOPER_ERROR, StatusCode.WHISK_ERROR)

    def to_extended_json(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "status": self.status_code.status,
            "success": self.success,
            "result": self.result,
        }
        if self.size is not None:
            doc["size"] = self.size
        return doc

    def to_stored(self) -> dict[str, Any]:
        doc: dict[str, Any] = {"statusCode": int(self.status_code), "result": self.result}
        if self.size is not None:
            doc["size"] = self.size
        return doc

    @classmethod
    def from_stored(cls, doc: dict[str, Any]) -> ActivationResponse:
        try:
            code = StatusCode(doc["statusCode"])
        except (KeyError, ValueError, TypeError) as exc:
            raise InvalidArgument("The activation response is not valid.") from exc
        return cls(code, doc.get("result"), doc.get("size"))


def success(result: Any, size: int | None = None) -> ActivationResponse:
    return ActivationResponse(StatusCode.SUCCESS, result, size)


def application_error(message: Any, size: int | None = None) -> ActivationResponse:
    """``message`` may be any JSON value: the action's own ``error`` field is kept as is."""
    return ActivationResponse(StatusCode.APPLICATION_ERROR, {"error": message}, size)


def developer_error(message: Any) -> ActivationResponse:
    return ActivationResponse(StatusCode.DEVELOPER_ERROR, {"error": message})


def whisk_error(message: str) -> ActivationResponse:
    return ActivationResponse(StatusCode.WHISK_ERROR, {"error": message})


def annotation(key: str, value: Any) -> dict[str, Any]:
    return {"key": key, "value": value}


@dataclass(frozen=True)
class Activation:
    """One activation record. ``namespace`` is the invoking namespace; ``start``/``end`` are
    epoch ms (``end`` 0 while pending); ``response`` is None while pending."""

    namespace: str
    name: str
    version: str
    subject: str
    activation_id: ActivationId
    start: int
    end: int
    response: ActivationResponse | None
    logs: list[str] = field(default_factory=list)
    annotations: list[dict[str, Any]] = field(default_factory=list)
    cause: ActivationId | None = None
    publish: bool = False
    duration: int | None = None

    def __post_init__(self) -> None:
        if self.start < 0 or self.end < 0:
            raise InvalidArgument("Activation times must not be negative.")
        if self.end and self.end < self.start:
            raise InvalidArgument("An activation cannot end before it starts.")

    # -- construction -------------------------------------------------------------------------

    @classmethod
    def pending(
        cls,
        *,
        namespace: str,
        name: str,
        version: str,
        subject: str,
        activation_id: ActivationId,
        start: int,
        annotations: list[dict[str, Any]] | None = None,
        cause: ActivationId | None = None,
    ) -> Activation:
        """The record written when an activation is accepted: no end, no response yet."""
        return cls(
            namespace=namespace,
            name=name,
            version=version,
            subject=subject,
            activation_id=activation_id,
            start=start,
            end=0,
            response=None,
            annotations=list(annotations or []),
            cause=cause,
        )

    def completed(
        self,
        response: ActivationResponse,
        end: int,
        *,
        start: int | None = None,
        logs: list[str] | None = None,
        annotations: list[dict[str, Any]] | None = None,
    ) -> Activation:
        """This record finished: ``annotations`` are added to (or replace same-key) ones."""
        merged = self.annotations
        for note in annotations or []:
            merged = _with_annotation(merged, note["key"], note["value"])
        return replace(
            self,
            response=response,
            start=self.start if start is None else start,
            end=end,
            logs=list(logs) if logs is not None else self.logs,
            annotations=merged,
        )

    # -- queries ------------------------------------------------------------------------------

    @property
    def is_pending(self) -> bool:
        return self.response is None

    @property
    def status_code(self) -> StatusCode | None:
        return None if self.response is None else self.response.status_code

    @property
    def effective_duration(self) -> int | None:
        if self.duration is not None:
            return self.duration
        if self.end == 0:
            return None
        return self.end - self.start

    def annotation(self, key: str, default: Any = None) -> Any:
        for note in self.annotations:
            if note.get("key") == key:
                return note.get("value")
        return default

    def with_annotation(self, key: str, value: Any) -> Activation:
        return replace(self, annotations=_with_annotation(self.annotations, key, value))

    # -- JSON forms ---------------------------------------------------------------------------

    def to_stored_doc(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "namespace": self.namespace,
            "name": self.name,
            "version": self.version,
            "subject": self.subject,
            "activationId": str(self.activation_id),
            "start": self.start,
            "end": self.end,
            "response": None if self.response is None else self.response.to_stored(),
            "logs": list(self.logs),
            "annotations": [dict(a) for a in self.annotations],
            "publish": self.publish,
        }
        if self.cause is not None:
            doc["cause"] = str(self.cause)
        if self.duration is not None:
            doc["duration"] = self.duration
        return doc

    @classmethod
    def from_stored_doc(cls, doc: dict[str, Any]) -> Activation:
        try:
            response = doc.get("response")
            cause = doc.get("cause")
            return cls(
                namespace=doc["namespace"],
                name=doc["name"],
                version=doc.get("version", "0.0.1"),
                subject=doc.get("subject", doc["namespace"]),
                activation_id=ActivationId(doc["activationId"]),
                start=int(doc["start"]),
                end=int(doc.get("end") or 0),
                response=None if response is None else ActivationResponse.from_stored(response),
                logs=list(doc.get("logs") or []),
                annotations=list(doc.get("annotations") or []),
                cause=None if cause is None else ActivationId(cause),
                publish=bool(doc.get("publish", False)),
                duration=doc.get("duration"),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise InvalidArgument("The activation record is not valid.") from exc

    def to_extended_json(self) -> dict[str, Any]:
        """The REST form (GET /activations/{id}, blocking invoke)."""
        doc = self._common_json()
        doc["subject"] = self.subject
        doc["response"] = (
            {"status": PENDING_STATUS, "success": False}
            if self.response is None
            else self.response.to_extended_json()
        )
        doc["logs"] = list(self.logs)
        return doc

    def summary_json(self) -> dict[str, Any]:
        """The list form (GET /activations without docs): top-level ``statusCode``, no logs."""
        doc = self._common_json()
        if self.response is not None:
            doc["statusCode"] = int(self.response.status_code)
        return doc

    def _common_json(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "namespace": self.namespace,
            "name": self.name,
            "version": self.version,
            "publish": self.publish,
            "activationId": str(self.activation_id),
            "start": self.start,
            "annotations": [dict(a) for a in self.annotations],
        }
        if self.end != 0:
            doc["end"] = self.end
            doc["duration"] = self.effective_duration
        if self.cause is not None:
            doc["cause"] = str(self.cause)
        return doc


def _with_annotation(
    annotations: list[dict[str, Any]], key: str, value: Any
) -> list[dict[str, Any]]:
    """Replace the value of ``key`` where it stands, or append it."""
    if any(a.get("key") == key for a in annotations):
        return [annotation(key, value) if a.get("key") == key else dict(a) for a in annotations]
    return [*annotations, annotation(key, value)]
