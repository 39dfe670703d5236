"""Invoker -> ``health``: the PingMessage each invoker sends every second."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Self

from whisk.messages.ids import InvokerInstanceId
from whisk.messages.wire import Json, _get, _Wire


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
