"""What an action runs: code of a runtime kind, a blackbox image, or a sequence.

``Exec.from_json`` checks a PUT's ``exec`` object against the runtime manifest; the stored form
round-trips through ``to_stored`` / ``from_stored`` without checks.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from whisk.entities import messages as ow
from whisk.entities.archive import check_archive
from whisk.entities.names import FullyQualifiedName
from whisk.entities.runtimes import BLACKBOX, SEQUENCE, RuntimeManifest
from whisk.errors import InvalidArgument, MalformedRequest, PayloadTooLarge

_BASE64_RE = re.compile(r"\A[A-Za-z0-9+/]*={0,2}\Z")
MAX_SEQUENCE_LENGTH = 50


def looks_binary(code: str) -> bool:
    """OpenWhisk's rule: code is binary (base64) when, trimmed, it is non-empty, a multiple of
    four long and all base64 characters."""
    trimmed = code.strip()
    return bool(trimmed) and len(trimmed) % 4 == 0 and _BASE64_RE.match(trimmed) is not None


@dataclass(frozen=True, slots=True)
class CodeExec:
    kind: str
    code: str
    binary: bool = False
    main: str | None = None

    def to_stored(self, include_code: bool = True) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind, "binary": self.binary}
        if include_code:
            out["code"] = self.code
        if self.main:
            out["main"] = self.main
        return out

    @property
    def size(self) -> int:
        return len(self.code.encode())


@dataclass(frozen=True, slots=True)
class BlackboxExec:
    image: str
    code: str | None = None
    binary: bool = False
    main: str | None = None
    kind: str = BLACKBOX

    def to_stored(self, include_code: bool = True) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": BLACKBOX, "image": self.image, "binary": self.binary}
        if include_code and self.code is not None:
            out["code"] = self.code
        if self.main:
            out["main"] = self.main
        return out

    @property
    def size(self) -> int:
        return len(self.code.encode()) if self.code else 0


@dataclass(frozen=True, slots=True)
class SequenceExec:
    components: tuple[FullyQualifiedName, ...]
    kind: str = SEQUENCE

    def to_stored(self, include_code: bool = True) -> dict[str, Any]:
        return {"kind": SEQUENCE, "components": [str(c) for c in self.components]}

    @property
    def binary(self) -> bool:
        return False

    @property
    def size(self) -> int:
        return sum(len(str(c)) for c in self.components)


Exec = CodeExec | BlackboxExec | SequenceExec


def requested_kind(kind: object) -> str:
    """The kind as OpenWhisk names it in its messages: trimmed and lower-cased."""
    return kind.strip().lower() if isinstance(kind, str) else str(kind)


def _optional_str(value: object, what: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidArgument(f"'{what}' must be a string.")
    return value or None


def exec_from_json(
    value: object,
    manifest: RuntimeManifest,
    *,
    caller_namespace: str,
    max_code_bytes: int,
) -> Exec:
    """Check a PUT's ``exec``: the kind must exist (``<family>:default`` resolves), code is
    required for code kinds, ``binary`` is inferred, sizes are bounded."""
    if not isinstance(value, Mapping):
        raise InvalidArgument("exec undefined" if value is None else "exec must be an object.")
    kind = value.get("kind")
    if isinstance(kind, str):
        kind = kind.strip().lower()  # as OpenWhisk reads it
    if kind == SEQUENCE:
        components = value.get("components")
        if components is None:
            raise MalformedRequest(
                ow.malformed_content("'components' must be defined for sequence kind")
            )
        if not isinstance(components, list):
            raise MalformedRequest(ow.malformed_content("'components' must be an array"))
        if not components:
            raise InvalidArgument("No component specified for the sequence.")
        if len(components) > MAX_SEQUENCE_LENGTH:
            raise InvalidArgument("Too many actions in the sequence.")
        return SequenceExec(
            tuple(FullyQualifiedName.parse(c).resolve(caller_namespace) for c in components)
        )
    code = value.get("code")
    if code is not None and not isinstance(code, str):
        raise MalformedRequest(
            ow.malformed_content(
                f"'code' must be a string defined in 'exec' for '{requested_kind(kind)}' actions"
            )
        )
    main = _optional_str(value.get("main"), "main")
    if code is not None and len(code.encode()) > max_code_bytes:
        raise PayloadTooLarge(
            f"exec larger than allowed: {len(code.encode())} > {max_code_bytes} bytes."
        )
    binary = code is not None and looks_binary(code)
    if code is not None and binary:
        check_archive(code)
    if kind == BLACKBOX:
        image = value.get("image")
        if not isinstance(image, str) or not image.strip():
            raise InvalidArgument("The blackbox exec requires an 'image'.")
        return BlackboxExec(image=image.strip(), code=code or None, binary=binary, main=main)
    runtime = manifest.resolve(kind)
    if code is None:
        # only a missing (or non-string) code is an error: the empty string is legal code
        raise MalformedRequest(
            ow.malformed_content(
                f"'code' must be a string defined in 'exec' for '{requested_kind(kind)}' actions"
            )
        )
    if runtime.require_main and not main:
        raise InvalidArgument(f"The kind '{runtime.kind}' requires a 'main' entry point.")
    return CodeExec(kind=runtime.kind, code=code, binary=binary, main=main)


def exec_from_stored(value: Mapping[str, Any]) -> Exec:
    kind = value["kind"]
    if kind == SEQUENCE:
        return SequenceExec(tuple(FullyQualifiedName.parse(c) for c in value["components"]))
    if kind == BLACKBOX:
        return BlackboxExec(
            image=value["image"],
            code=value.get("code"),
            binary=bool(value.get("binary", False)),
            main=value.get("main"),
        )
    return CodeExec(
        kind=kind,
        code=value.get("code", ""),
        binary=bool(value.get("binary", False)),
        main=value.get("main"),
    )
