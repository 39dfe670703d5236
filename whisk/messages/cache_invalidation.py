"""Controller -> ``cacheInvalidation``: the CacheInvalidationMessage naming a changed entity."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Self

from whisk.messages.wire import Json, _get, _Wire


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
