"""The runtime manifest: which kinds exist, their images, defaults and stem cells.

Read from OpenWhisk's manifest shape (``{"runtimes": {family: [kind...]}, "blackboxes": [...]}``)
by whoever loads the file; this module only interprets the data.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from whisk.entities import messages as ow
from whisk.errors import InvalidArgument, MalformedRequest

BLACKBOX = "blackbox"
SEQUENCE = "sequence"


@dataclass(frozen=True, slots=True)
class StemCell:
    initial_count: int
    memory_mb: int


@dataclass(frozen=True, slots=True)
class RuntimeKind:
    kind: str
    family: str
    image: str
    default: bool = False
    deprecated: bool = False
    require_main: bool = False
    stem_cells: tuple[StemCell, ...] = ()
    raw: Mapping[str, Any] = field(default_factory=dict)


def _image_name(image: object) -> str:
    if isinstance(image, str):
        return image
    if isinstance(image, Mapping):
        prefix = image.get("prefix")
        name = f"{prefix}/{image['name']}" if prefix else str(image["name"])
        return f"{name}:{image.get('tag', 'latest')}"
    raise ValueError(f"bad image entry {image!r}")


def image_reference(image: str) -> tuple[str, str]:
    """``(repository, tag)`` of an image name; no tag is ``latest`` (a digest is kept whole)."""
    name = image.strip()
    if "@" in name:
        return name, ""
    repository, sep, tag = name.rpartition(":")
    if not sep or "/" in tag:  # "host:5000/name" has a port, not a tag
        return name, "latest"
    return repository, tag


@dataclass(frozen=True, slots=True)
class RuntimeManifest:
    kinds: Mapping[str, RuntimeKind]
    blackboxes: tuple[str, ...] = ()
    raw: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> RuntimeManifest:
        kinds: dict[str, RuntimeKind] = {}
        for family, entries in data.get("runtimes", {}).items():
            for entry in entries:
                kinds[entry["kind"]] = RuntimeKind(
                    kind=entry["kind"],
                    family=family,
                    image=_image_name(entry["image"]),
                    default=bool(entry.get("default", False)),
                    deprecated=bool(entry.get("deprecated", False)),
                    require_main=bool(entry.get("requireMain", False)),
                    stem_cells=tuple(
                        StemCell(
                            int(s.get("initialCount", s.get("count", 0))),
                            _memory_mb(s.get("memory", "256 MB")),
                        )
                        for s in entry.get("stemCells", [])
                    ),
                    raw=entry,
                )
        blackboxes = tuple(_image_name(b) for b in data.get("blackboxes", []))
        return cls(kinds, blackboxes, data)

    def is_native(self, image: str) -> bool:
        """Whether a blackbox ``image`` is one of the manifest's ``blackboxes`` (OpenWhisk's
        "native" action skeletons, ``openwhisk/dockerskeleton``): the invoker runs it as one of its
        own runtimes (never pulled, logs with sentinels). A missing tag is ``latest``."""
        wanted = image_reference(image)
        return any(image_reference(b) == wanted for b in self.blackboxes)

    def default_kind(self, family: str) -> str | None:
        candidates = [k for k in self.kinds.values() if k.family == family]
        for k in candidates:
            if k.default:
                return k.kind
        return candidates[0].kind if candidates else None

    def resolve(self, kind: object) -> RuntimeKind:
        """The runtime for ``kind`` (trimmed, lower-cased); ``<family>:default`` resolves to the
        family's default. Unknown or deprecated kinds raise with OpenWhisk's messages."""
        if not isinstance(kind, str) or not kind.strip():
            raise MalformedRequest(
                ow.malformed_content("'kind' must be a string defined in 'exec'")
            )
        kind = kind.strip().lower()
        requested = kind
        if kind.endswith(":default"):
            resolved = self.default_kind(kind.split(":", 1)[0])
            kind = resolved if resolved is not None else kind
        runtime = self.kinds.get(kind)
        if runtime is None:
            valid = [*self.kinds, SEQUENCE, BLACKBOX]
            raise MalformedRequest(ow.malformed_content(ow.invalid_runtime_error(requested, valid)))
        if runtime.deprecated:
            raise InvalidArgument(ow.runtime_deprecated(kind))
        return runtime

    def family_for_extension(self, extension: str) -> str | None:
        return {".py": "python", ".js": "nodejs", ".mjs": "nodejs", ".cjs": "nodejs"}.get(extension)

    def to_info_json(self) -> dict[str, list[dict[str, Any]]]:
        """The ``runtimes`` object of ``GET /`` (wskdeploy reads it)."""
        out: dict[str, list[dict[str, Any]]] = {}
        for k in self.kinds.values():
            out.setdefault(k.family, []).append(
                {
                    "kind": k.kind,
                    "image": k.image,
                    "deprecated": k.deprecated,
                    "default": k.default,
                    "attached": False,
                    "requireMain": k.require_main,
                }
            )
        return out


def _memory_mb(value: object) -> int:
    if isinstance(value, int):
        return value
    text = str(value).strip().upper().replace(" ", "")
    for suffix, factor in (("GB", 1024), ("G", 1024), ("MB", 1), ("M", 1)):
        if text.endswith(suffix):
            return int(text[: -len(suffix)]) * factor
    return int(text)
