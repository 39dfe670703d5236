"""Actions: code (or an image, or a sequence) plus limits, parameters and annotations."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from whisk.entities.common import (
    EntityRules,
    merged_annotations,
    next_version,
    put_bool,
    put_parameters,
    put_version,
    require_object,
)
from whisk.entities.exec import Exec, SequenceExec, exec_from_json, exec_from_stored
from whisk.entities.limits import ActionLimits
from whisk.entities.names import FullyQualifiedName
from whisk.entities.parameters import Parameters
from whisk.entities.semver import SemVer
from whisk.errors import InvalidArgument


@dataclass(frozen=True, slots=True)
class Action:
    fqn: FullyQualifiedName
    exec: Exec
    version: SemVer = field(default_factory=SemVer)
    publish: bool = False
    parameters: Parameters = field(default_factory=Parameters)
    annotations: Parameters = field(default_factory=Parameters)
    limits: ActionLimits = field(default_factory=ActionLimits)
    updated: int = 0

    @property
    def is_sequence(self) -> bool:
        return isinstance(self.exec, SequenceExec)

    # -- PUT -------------------------------------------------------------------------------
    @classmethod
    def from_put(
        cls,
        fqn: FullyQualifiedName,
        body: object,
        rules: EntityRules,
        existing: Action | None = None,
    ) -> Action:
        """Create (``existing`` None) or update an action from a PUT body. Fields present
        replace stored ones; missing ones are kept; limits merge field by field."""
        body = require_object(body)
        exec_json = body.get("exec")
        if exec_json is None and existing is None:
            raise InvalidArgument("exec undefined")
        new_exec = (
            exec_from_json(
                exec_json,
                rules.manifest,
                caller_namespace=fqn.namespace,
                max_code_bytes=rules.max_code_bytes,
            )
            if exec_json is not None
            else existing.exec  # type: ignore[union-attr]
        )
        params = put_parameters(body, "parameters", rules.max_parameter_bytes)
        limits = ActionLimits.from_json(
            body.get("limits"), rules.ranges, existing.limits if existing else None
        )
        publish = put_bool(body, "publish")
        version = next_version(existing.version if existing else None, put_version(body))
        annotations = merged_annotations(
            existing.annotations if existing else Parameters(), body, rules.max_parameter_bytes
        )
        if existing is None and "provide-api-key" not in annotations:
            annotations = annotations.with_value("provide-api-key", False)
        annotations = annotations.with_value("exec", new_exec.kind)
        if params is None:
            params = existing.parameters if existing else Parameters()
            if existing is not None and isinstance(new_exec, SequenceExec) != existing.is_sequence:
                params = Parameters()  # turning an action into a sequence replaces its params
        if isinstance(new_exec, SequenceExec):
            params = params.with_value("_actions", [str(c) for c in new_exec.components])
        return cls(
            fqn=fqn,
            exec=new_exec,
            version=version,
            publish=publish if publish is not None else (existing.publish if existing else False),
            parameters=params,
            annotations=annotations,
            limits=limits,
            updated=existing.updated if existing else 0,
        )

    # -- stored form -----------------------------------------------------------------------
    def to_stored(self) -> dict[str, Any]:
        return {
            "namespace": self.fqn.path,
            "name": self.fqn.name,
            "version": str(self.version),
            "publish": self.publish,
            "exec": self.exec.to_stored(),
            "parameters": self.parameters.to_json(),
            "annotations": self.annotations.to_json(),
            "limits": self.limits.to_json(),
        }

    @classmethod
    def from_stored(cls, doc: Mapping[str, Any], updated: int = 0) -> Action:
        path = doc["namespace"].split("/")
        return cls(
            fqn=FullyQualifiedName(path[0], doc["name"], path[1] if len(path) > 1 else None),
            exec=exec_from_stored(doc["exec"]),
            version=SemVer.parse(doc["version"]),
            publish=bool(doc.get("publish", False)),
            parameters=Parameters.from_json(doc.get("parameters")),
            annotations=Parameters.from_json(doc.get("annotations")),
            limits=ActionLimits.from_stored(doc.get("limits", {})),
            updated=updated,
        )

    # -- REST forms ------------------------------------------------------------------------
    def to_json(self, include_code: bool = True) -> dict[str, Any]:
        out = self.to_stored()
        out["exec"] = self.exec.to_stored(include_code)
        out["updated"] = self.updated
        return out

    def summary_json(self) -> dict[str, Any]:
        return {
            "namespace": self.fqn.path,
            "name": self.fqn.name,
            "version": str(self.version),
            "publish": self.publish,
            "annotations": self.annotations.to_json(),
            "limits": self.limits.to_json(),
            "exec": {"binary": self.exec.binary},
            "updated": self.updated,
        }

    def with_updated(self, updated: int) -> Action:
        return replace(self, updated=updated)
