"""The wire format shared by every bus message: versioned JSON and the field readers.

``_encode`` adds the top-level ``"v": 1`` key; ``_decode`` refuses any other version with
``MalformedRequest`` rather than guessing at a shape it does not know. ``_get`` and
``_strings`` read typed fields, and ``_Wire`` gives each message ``to_bytes()`` and
``from_bytes()`` on top of its own ``to_json()`` / ``from_json()``.
"""

from __future__ import annotations

import re
from typing import Any, Self

from whisk import codec
from whisk.errors import InvalidArgument, MalformedRequest

VERSION = 1
_ACTIVATION_ID = re.compile(r"^[0-9a-f]{32}$")
Json = dict[str, Any]


# --- decoding helpers -----------------------------------------------------------------------


def _fail(what: str) -> MalformedRequest:
    return MalformedRequest(f"malformed bus message: {what}")


def _decode(data: bytes) -> Json:
    if not isinstance(data, bytes | bytearray | memoryview):
        raise _fail(f"expected bytes, got {type(data).__name__}")
    try:
        obj = codec.loads(data)
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
    return codec.dumps({"v": VERSION, **obj})


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
