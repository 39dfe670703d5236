"""Invoker -> ``completed{C}``: the three acknowledgements and the reader that tells them apart.

A CompletionMessage frees the slot, a ResultMessage carries a blocking activation's result
before its logs, a CombinedCompletionAndResult does both; ``parse_acknowledgement`` tells
them apart by their fields, as in OpenWhisk.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Self, cast

from whisk.errors import InvalidArgument
from whisk.messages.ids import InvokerInstanceId, TransactionId
from whisk.messages.wire import Json, _check_activation_id, _decode, _fail, _get, _Wire

Response = dict[str, Any] | str  # the activation record as JSON, or only its id (shrunk)


def _response(obj: Json) -> Response:
    value = _get(obj, "response", (dict, str))
    if isinstance(value, str):
        _check_activation_id(value)
    elif not isinstance(value.get("activationId"), str):
        raise _fail("response record has no activationId")
    return cast(Response, value)


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
