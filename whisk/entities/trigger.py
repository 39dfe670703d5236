"""Triggers: named event channels; the rules that fire on them live on the trigger."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
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
from whisk.entities.names import FullyQualifiedName
from whisk.entities.parameters import Parameters
from whisk.entities.semver import SemVer
from whisk.errors import InvalidArgument


class RuleStatus(StrEnum):
    ACTIVE = "active"
    INACTIVE = "inactive"

    @classmethod
    def parse(cls, value: object) -> RuleStatus:
        try:
            return cls(value)  # type: ignore[arg-type]
        except ValueError:
            raise InvalidArgument("Rule status must be either 'active' or 'inactive'.") from None


@dataclass(frozen=True, slots=True)
class ReducedRule:
    """A rule as its trigger records it: the action to run and whether it is active."""

    action: FullyQualifiedName
    status: RuleStatus

    def to_json(self) -> dict[str, Any]:
        return {"action": self.action.to_ref(), "status": str(self.status)}


@dataclass(frozen=True, slots=True)
class Trigger:
    fqn: FullyQualifiedName
    version: SemVer = field(default_factory=SemVer)
    publish: bool = False
    parameters: Parameters = field(default_factory=Parameters)
    annotations: Parameters = field(default_factory=Parameters)
    rules: Mapping[str, ReducedRule] = field(default_factory=dict)  # "ns/rule" -> link
    updated: int = 0

    @classmethod
    def from_put(
        cls,
        fqn: FullyQualifiedName,
        body: object,
        rules: EntityRules,
        existing: Trigger | None = None,
    ) -> Trigger:
        body = require_object(body)
        params = put_parameters(body, "parameters", rules.max_parameter_bytes)
        publish = put_bool(body, "publish")
        annotations = merged_annotations(
            existing.annotations if existing else Parameters(), body, rules.max_parameter_bytes
        )
        feed = annotations.get("feed")
        if feed is not None:
            try:
                FullyQualifiedName.parse(feed)
            except InvalidArgument:
                raise InvalidArgument("Feed name is not valid") from None
        return cls(
            fqn=fqn,
            version=next_version(existing.version if existing else None, put_version(body)),
            publish=publish if publish is not None else (existing.publish if existing else False),
            parameters=params
            if params is not None
            else (existing.parameters if existing else Parameters()),
            annotations=annotations,
            rules=dict(existing.rules) if existing else {},
            updated=existing.updated if existing else 0,
        )

    def with_rule(self, rule_key: str, link: ReducedRule) -> Trigger:
        return replace(self, rules={**self.rules, rule_key: link})

    def without_rule(self, rule_key: str) -> Trigger:
        return replace(self, rules={k: v for k, v in self.rules.items() if k != rule_key})

    def active_rules(self) -> dict[str, ReducedRule]:
        return {k: v for k, v in self.rules.items() if v.status is RuleStatus.ACTIVE}

    def to_stored(self) -> dict[str, Any]:
        return {
            "namespace": self.fqn.namespace,
            "name": self.fqn.name,
            "version": str(self.version),
            "publish": self.publish,
            "parameters": self.parameters.to_json(),
            "annotations": self.annotations.to_json(),
            "limits": {},
            "rules": {k: v.to_json() for k, v in self.rules.items()},
        }

    @classmethod
    def from_stored(cls, doc: Mapping[str, Any], updated: int = 0) -> Trigger:
        return cls(
            fqn=FullyQualifiedName(doc["namespace"], doc["name"]),
            version=SemVer.parse(doc["version"]),
            publish=bool(doc.get("publish", False)),
            parameters=Parameters.from_json(doc.get("parameters")),
            annotations=Parameters.from_json(doc.get("annotations")),
            rules={
                k: ReducedRule(FullyQualifiedName.from_ref(v["action"]), RuleStatus(v["status"]))
                for k, v in (doc.get("rules") or {}).items()
            },
            updated=updated,
        )

    def to_json(self) -> dict[str, Any]:
        out = self.to_stored()
        out["updated"] = self.updated
        if not self.rules:
            del out["rules"]
        return out

    def summary_json(self) -> dict[str, Any]:
        return {
            "namespace": self.fqn.namespace,
            "name": self.fqn.name,
            "version": str(self.version),
            "publish": self.publish,
            "annotations": self.annotations.to_json(),
            "updated": self.updated,
        }

    def with_updated(self, updated: int) -> Trigger:
        return replace(self, updated=updated)
