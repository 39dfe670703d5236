"""Which rules fire for a trigger, and with which arguments (pure)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from whisk.entities.names import FullyQualifiedName
from whisk.entities.trigger import Trigger


@dataclass(frozen=True, slots=True)
class RuleFiring:
    rule: str  # "ns/rule", as the trigger's rules map names it
    action: FullyQualifiedName


def rules_to_fire(trigger: Trigger) -> list[RuleFiring]:
    """The active rules of ``trigger``, in a stable order."""
    return [RuleFiring(key, link.action) for key, link in sorted(trigger.active_rules().items())]


def fire_arguments(trigger: Trigger, payload: dict[str, Any] | None) -> dict[str, Any]:
    """The trigger's parameters with the fire's payload over them."""
    args = trigger.parameters.as_dict()
    args.update(payload or {})
    return args


def rule_log_line(
    firing: RuleFiring,
    *,
    activation_id: str | None = None,
    status_code: int = 0,
    error: str | None = None,
) -> str:
    """One line of the trigger activation's logs, as OpenWhisk writes them."""
    entry: dict[str, Any] = {
        "statusCode": status_code,
        "success": error is None,
        "rule": firing.rule,
        "action": f"{firing.action.path}/{firing.action.name}",
    }
    if activation_id is not None:
        entry["activationId"] = activation_id
    if error is not None:
        entry["error"] = error
    return json.dumps(entry, separators=(",", ":"))
