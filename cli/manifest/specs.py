"""The plan of entities a manifest asks for: Manifest and one frozen spec per entity kind.

The package ``default`` (``DEFAULT_PACKAGE``) holds entities deployed outside any package;
their specs have ``package=None``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cli.manifest.location import Location

DEFAULT_PACKAGE = "default"


@dataclass(frozen=True)
class PackageSpec:
    name: str
    inputs: Mapping[str, Any]
    annotations: Mapping[str, Any]
    public: bool | None
    loc: Location


@dataclass(frozen=True)
class ActionSpec:
    package: str | None
    name: str
    function: str | None  # path, relative to the manifest's directory already resolved
    kind: str | None  # None only for docker actions
    main: str | None
    docker: str | None
    inputs: Mapping[str, Any]
    annotations: Mapping[str, Any]
    limits: Mapping[str, int]  # wire names: timeout, memory, logs, concurrency
    loc: Location

    @property
    def entity(self) -> str:
        return f"{self.package}/{self.name}" if self.package else self.name


@dataclass(frozen=True)
class SequenceSpec:
    package: str | None
    name: str
    components: tuple[str, ...]  # pkg/name or /ns/pkg/name
    inputs: Mapping[str, Any]
    annotations: Mapping[str, Any]
    loc: Location

    @property
    def entity(self) -> str:
        return f"{self.package}/{self.name}" if self.package else self.name


@dataclass(frozen=True)
class TriggerSpec:
    name: str
    feed: str | None
    inputs: Mapping[str, Any]  # feed parameters when there is a feed
    annotations: Mapping[str, Any]
    loc: Location


@dataclass(frozen=True)
class RuleSpec:
    name: str
    trigger: str
    action: str
    loc: Location


@dataclass(frozen=True)
class Manifest:
    file: str
    packages: tuple[PackageSpec, ...] = ()
    actions: tuple[ActionSpec, ...] = ()
    sequences: tuple[SequenceSpec, ...] = ()
    triggers: tuple[TriggerSpec, ...] = ()
    rules: tuple[RuleSpec, ...] = ()
    warnings: tuple[str, ...] = ()

    @property
    def size(self) -> int:
        return sum(map(len, (self.packages, self.actions, self.sequences, self.triggers,
                             self.rules)))  # fmt: skip
