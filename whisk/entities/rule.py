"""Rules: connect a trigger to an action. Their active/inactive status lives on the trigger."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from whisk.entities.common import (
    EntityRules,
    merged_annotations,
    next_version,
    put_bool,
    put_version,
    require_object,
)
from whisk.entities.names import FullyQualifiedName
from whisk.entities.parameters import Parameters
from whisk.entities.semver import SemVer
from whisk.entities.trigger import RuleStatus
from whisk.errors import InvalidArgument


def _reference(
    body: Mapping[str, Any], key: str, caller_namespace: str
) -> FullyQualifiedName | None:
    value = body.get(key)
    if value is None:
        return None
    if isinstance(value, Mapping):  # {"path": .., "name": ..} or {"namespace": .., "name": ..}
        path = value.get("path", value.get("namespace"))
        if not isinstance(path, str) or not isinstance(value.get("name"), str):
            raise InvalidArgument(f"The {key} name is not valid.")
        value = f"/{path}/{value['name']}"
    try:
        return FullyQualifiedName.parse(value).resolve(caller_namespace)
    except InvalidArgument:
        raise InvalidArgument(f"The {key} name is not valid.") from None


@dataclass(frozen=True, slots=True)
class Rule:
    fqn: FullyQualifiedName
    trigger: FullyQualifiedName
    action: FullyQualifiedName
    version: SemVer = field(default_factory=SemVer)
    publish: bool = False
    annotations: Parameters = field(default_factory=Parameters)
    updated: int = 0

    @property
    def key(self) -> str:
        """How the trigger's ``rules`` map names this rule: ``ns/rule``."""
        return f"{self.fqn.namespace}/{self.fqn.name}"

    @classmethod
    def from_put(
        cls,
        fqn: FullyQualifiedName,
        body: object,
        rules: EntityRules,
        existing: Rule | None = None,
    ) -> Rule:
        body = require_object(body)
        trigger = _reference(body, "trigger", fqn.namespace)
        action = _reference(body, "action", fqn.namespace)
        if existing is None and (trigger is None or action is None):
            raise InvalidArgument("rule requires a valid trigger and a valid action")  # OpenWhisk's
        if trigger is not None and trigger.package is not None:
            raise InvalidArgument("The trigger name is not valid.")
        publish = put_bool(body, "publish")
        return cls(
            fqn=fqn,
            trigger=trigger or existing.trigger,  # type: ignore[union-attr]
            action=action or existing.action,  # type: ignore[union-attr]
            version=next_version(existing.version if existing else None, put_version(body)),
            publish=publish if publish is not None else (existing.publish if existing else False),
            annotations=merged_annotations(
                existing.annotations if existing else Parameters(),
                body,
                rules.max_parameter_bytes,
            ),
            updated=existing.updated if existing else 0,
        )

    def to_stored(self) -> dict[str, Any]:
        return {
            "namespace": self.fqn.namespace,
            "name": self.fqn.name,
            "version": str(self.version),
            "publish": self.publish,
            "annotations": self.annotations.to_json(),
            "trigger": self.trigger.to_ref(),
            "action": self.action.to_ref(),
        }

    @classmethod
    def from_stored(cls, doc: Mapping[str, Any], updated: int = 0) -> Rule:
        return cls(
            fqn=FullyQualifiedName(doc["namespace"], doc["name"]),
            trigger=FullyQualifiedName.from_ref(doc["trigger"]),
            action=FullyQualifiedName.from_ref(doc["action"]),
            version=SemVer.parse(doc["version"]),
            publish=bool(doc.get("publish", False)),
            annotations=Parameters.from_json(doc.get("annotations")),
            updated=updated,
        )

    def to_json(self, status: RuleStatus) -> dict[str, Any]:
        out = self.to_stored()
        out["updated"] = self.updated
        out["status"] = str(status)
        return out

    def summary_json(self) -> dict[str, Any]:
        out = self.to_stored()
        out["updated"] = self.updated
        return out

    def with_updated(self, updated: int) -> Rule:
        return replace(self, updated=updated)
