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

This package re-exports the public names; each concept lives in its own module:

    wire.py                the versioned JSON encoding and field readers (``_Wire``)
    ids.py                 TransactionId, ControllerInstanceId, InvokerInstanceId
    activation.py          ActionRef, UserRef, ActivationMessage
    acknowledgements.py    CompletionMessage, ResultMessage, CombinedCompletionAndResult,
                           parse_acknowledgement
    health.py              PingMessage
    cache_invalidation.py  CacheInvalidationMessage
"""

from whisk.messages.acknowledgements import (
    AcknowledgementMessage,
    CombinedCompletionAndResult,
    CompletionMessage,
    Response,
    ResultMessage,
    parse_acknowledgement,
)
from whisk.messages.activation import ActionRef, ActivationMessage, UserRef
from whisk.messages.cache_invalidation import CacheInvalidationMessage
from whisk.messages.health import PingMessage
from whisk.messages.ids import ControllerInstanceId, InvokerInstanceId, TransactionId
from whisk.messages.wire import VERSION, Json

__all__ = [
    "VERSION",
    "AcknowledgementMessage",
    "ActionRef",
    "ActivationMessage",
    "CacheInvalidationMessage",
    "CombinedCompletionAndResult",
    "CompletionMessage",
    "ControllerInstanceId",
    "InvokerInstanceId",
    "Json",
    "PingMessage",
    "Response",
    "ResultMessage",
    "TransactionId",
    "UserRef",
    "parse_acknowledgement",
]
