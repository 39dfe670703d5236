"""Parameters and annotations: OpenWhisk's ``[{"key": k, "value": v}]`` lists.

Order is kept (first occurrence of a key wins its position, the last value wins). Parameters
may carry ``"init": true`` (passed to the container at /init as an environment variable) and
``"encryption": "<scheme>"`` when their value is stored encrypted (``whisk.entities.encryption``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from whisk.errors import InvalidArgument


@dataclass(frozen=True, slots=True)
class KeyValue:
    key: str
    value: Any
    init: bool = False
    encryption: str | None = None  # the scheme of an encrypted value (None: plain)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"key": self.key, "value": self.value}
        if self.init:
            out["init"] = True
        if self.encryption:
            out["encryption"] = self.encryption
        return out


@dataclass(frozen=True, slots=True)
class Parameters:
    """An immutable ordered key/value list (used for both parameters and annotations)."""

    items: tuple[KeyValue, ...] = ()

    @classmethod
    def from_json(cls, value: object, what: str = "parameters") -> Parameters:
        if value is None:
            return cls()
        if isinstance(value, Mapping):  # tolerated: {"k": v} objects, as some clients send
            return cls.of(dict(value))
        if not isinstance(value, list):
            raise InvalidArgument(f"The {what} must be a list of key/value pairs.")
        merged: dict[str, KeyValue] = {}
        for entry in value:
            if not isinstance(entry, Mapping) or not isinstance(entry.get("key"), str):
                raise InvalidArgument(f"The {what} must be a list of key/value pairs.")
            if not entry["key"]:
                raise InvalidArgument(f"The {what} contain an empty key.")
            init = entry.get("init", False)
            if not isinstance(init, bool):
                raise InvalidArgument(f"The 'init' flag of {what} must be a boolean.")
            encryption = entry.get("encryption")
            if encryption is not None and not (isinstance(encryption, str) and encryption):
                raise InvalidArgument(f"The 'encryption' of {what} must name a scheme.")
            merged[entry["key"]] = KeyValue(entry["key"], entry.get("value"), init, encryption)
        return cls(tuple(merged.values()))

    @classmethod
    def of(cls, mapping: Mapping[str, Any]) -> Parameters:
        return cls(tuple(KeyValue(k, v) for k, v in mapping.items()))

    def to_json(self) -> list[dict[str, Any]]:
        return [kv.to_json() for kv in self.items]

    def as_dict(self) -> dict[str, Any]:
        return {kv.key: kv.value for kv in self.items}

    def get(self, key: str, default: Any = None) -> Any:
        for kv in self.items:
            if kv.key == key:
                return kv.value
        return default

    def __contains__(self, key: object) -> bool:
        return any(kv.key == key for kv in self.items)

    def __len__(self) -> int:
        return len(self.items)

    def keys(self) -> list[str]:
        return [kv.key for kv in self.items]

    def init_keys(self) -> list[str]:
        return [kv.key for kv in self.items if kv.init]

    def merge(self, other: Parameters) -> Parameters:
        """``other`` wins on equal keys (OpenWhisk's ``++``)."""
        merged = {kv.key: kv for kv in self.items}
        for kv in other.items:
            merged[kv.key] = kv
        return Parameters(tuple(merged.values()))

    def with_value(self, key: str, value: Any) -> Parameters:
        return self.merge(Parameters((KeyValue(key, value),)))

    def without(self, keys: Iterable[str]) -> Parameters:
        drop = set(keys)
        return Parameters(tuple(kv for kv in self.items if kv.key not in drop))

    def size_bytes(self) -> int:
        """Serialized size, as the size limits count it."""
        return sum(
            len(kv.key.encode()) + len(json.dumps(kv.value, separators=(",", ":")).encode())
            for kv in self.items
        )

    def is_truthy(self, key: str) -> bool:
        """Annotation truthiness as OpenWhisk reads it (true, "true", non-zero...)."""
        value = self.get(key)
        if isinstance(value, str):
            return value.lower() not in ("", "false", "no", "0")
        return bool(value)
