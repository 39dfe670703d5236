"""Packages and package bindings."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from whisk.entities import messages as ow
from whisk.entities.common import (
    EntityRules,
    merged_annotations,
    next_version,
    put_bool,
    put_parameters,
    put_version,
    require_object,
)
from whisk.entities.names import FullyQualifiedName, check_name, check_namespace
from whisk.entities.parameters import Parameters
from whisk.entities.semver import SemVer
from whisk.errors import Conflict, InvalidArgument

BINDING_ANNOTATION = "binding"  # {"namespace", "name"} of what a binding binds (OpenWhisk's)


@dataclass(frozen=True, slots=True)
class Binding:
    namespace: str
    name: str

    def __post_init__(self) -> None:
        check_namespace(self.namespace)
        check_name(self.name)

    def to_json(self) -> dict[str, str]:
        return {"namespace": self.namespace, "name": self.name}

    def resolve(self, caller_namespace: str) -> Binding:
        return Binding(caller_namespace, self.name) if self.namespace == "_" else self

    @property
    def fqn(self) -> FullyQualifiedName:
        return FullyQualifiedName(self.namespace, self.name)


def _binding_from_json(value: object, caller_namespace: str) -> Binding | None:
    if value is None or value == {} or value is False:
        return None
    if not isinstance(value, Mapping):
        raise InvalidArgument("The binding must be an object with 'namespace' and 'name'.")
    if "name" not in value:
        raise InvalidArgument("The binding must be an object with 'namespace' and 'name'.")
    return Binding(value.get("namespace", "_"), value["name"]).resolve(caller_namespace)


@dataclass(frozen=True, slots=True)
class Package:
    fqn: FullyQualifiedName
    version: SemVer = field(default_factory=SemVer)
    publish: bool = False
    binding: Binding | None = None
    parameters: Parameters = field(default_factory=Parameters)
    annotations: Parameters = field(default_factory=Parameters)
    updated: int = 0

    @property
    def is_binding(self) -> bool:
        return self.binding is not None

    @classmethod
    def from_put(
        cls,
        fqn: FullyQualifiedName,
        body: object,
        rules: EntityRules,
        existing: Package | None = None,
    ) -> Package:
        body = require_object(body)
        params = put_parameters(body, "parameters", rules.max_parameter_bytes)
        publish = put_bool(body, "publish")
        binding = (
            _binding_from_json(body.get("binding"), fqn.namespace)
            if "binding" in body
            else (existing.binding if existing else None)
        )
        if binding is not None and existing is not None and existing.binding is None:
            raise Conflict(ow.PACKAGE_CANNOT_BECOME_BINDING)
        annotations = merged_annotations(
            existing.annotations if existing else Parameters(),
            body,
            rules.max_parameter_bytes,
        ).without([BINDING_ANNOTATION])
        if binding is not None:
            # as OpenWhisk: the controller always sets it, so that lists show what is bound
            annotations = annotations.with_value(BINDING_ANNOTATION, binding.to_json())
        return cls(
            fqn=fqn,
            version=next_version(existing.version if existing else None, put_version(body)),
            publish=publish if publish is not None else (existing.publish if existing else False),
            binding=binding,
            parameters=params
            if params is not None
            else (existing.parameters if existing else Parameters()),
            annotations=annotations,
            updated=existing.updated if existing else 0,
        )

    def to_stored(self) -> dict[str, Any]:
        return {
            "namespace": self.fqn.namespace,
            "name": self.fqn.name,
            "version": str(self.version),
            "publish": self.publish,
            "binding": self.binding.to_json() if self.binding else {},
            "parameters": self.parameters.to_json(),
            "annotations": self.annotations.to_json(),
        }

    @classmethod
    def from_stored(cls, doc: Mapping[str, Any], updated: int = 0) -> Package:
        binding = doc.get("binding") or None
        return cls(
            fqn=FullyQualifiedName(doc["namespace"], doc["name"]),
            version=SemVer.parse(doc["version"]),
            publish=bool(doc.get("publish", False)),
            binding=Binding(binding["namespace"], binding["name"]) if binding else None,
            parameters=Parameters.from_json(doc.get("parameters")),
            annotations=Parameters.from_json(doc.get("annotations")),
            updated=updated,
        )

    def to_json(self) -> dict[str, Any]:
        out = self.to_stored()
        out["updated"] = self.updated
        return out

    def summary_json(self) -> dict[str, Any]:
        return {
            "namespace": self.fqn.namespace,
            "name": self.fqn.name,
            "version": str(self.version),
            "publish": self.publish,
            "binding": self.binding.to_json() if self.binding else False,
            "annotations": self.annotations.to_json(),
            "updated": self.updated,
        }

    def with_updated(self, updated: int) -> Package:
        return replace(self, updated=updated)
