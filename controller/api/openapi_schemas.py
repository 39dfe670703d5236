"""The ``definitions`` and shared ``parameters`` of the served swagger document (pure): what a
request must look like to be accepted, in OpenWhisk's swagger 2.0 vocabulary (``KeyValue``,
``ActionPut``, ``ErrorMessage``...), with the bounds this deployment enforces."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from controller.api.query import INT64_MAX
from whisk.entities.limits import LimitRanges
from whisk.entities.names import NAME_MAX_LENGTH

# whisk.entities.names' rule, as an ECMA pattern (``\w`` is ASCII there as in OpenWhisk's Java)
NAME_PATTERN = r"^(?:\w|\w[\w@ .&-]{0,254}[\w@.&-])$"
NAMESPACE_PATTERN = r"^(?:_|\w|\w[\w@ .&-]{0,254}[\w@.&-])$"
SEMVER_PATTERN = r"^\d+\.\d+\.\d+$"
ACTIVATION_ID_PATTERN = r"^[0-9a-f]{32}$"
BOOLEAN_PATTERN = r"^(?:[Tt][Rr][Uu][Ee]|[Ff][Aa][Ll][Ss][Ee])$"  # no inline flags in ECMA


@dataclass(frozen=True, slots=True)
class DocumentBounds:
    """What the document states about this deployment: the code kinds a PUT may name, the
    system's limit ranges, the longest blocking wait and the largest page."""

    kinds: tuple[str, ...]
    ranges: LimitRanges
    max_blocking_wait_ms: int
    list_max_limit: int


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/definitions/{name}"}


def name_schema(description: str) -> dict[str, Any]:
    return {
        "type": "string",
        "pattern": NAME_PATTERN,
        "minLength": 1,
        "maxLength": NAME_MAX_LENGTH,
        "description": description,
    }


def path_name(name: str, description: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, **name_schema(description)}


def flag(name: str, description: str) -> dict[str, Any]:
    """A Boolean query flag: OpenWhisk's swagger has the strings true and false; as OpenWhisk,
    the case does not matter."""
    return {
        "name": name,
        "in": "query",
        "required": False,
        "type": "string",
        "pattern": BOOLEAN_PATTERN,
        "description": f"{description} (true or false, in any case)",
    }


def integer_query(
    name: str, description: str, minimum: int, maximum: int | None = None
) -> dict[str, Any]:
    param: dict[str, Any] = {
        "name": name,
        "in": "query",
        "required": False,
        "type": "integer",
        "format": "int64",
        "minimum": minimum,
        "maximum": INT64_MAX if maximum is None else maximum,
        "description": description,
    }
    return param


def _key_values(description: str) -> dict[str, Any]:
    return {"type": "array", "items": ref("KeyValue"), "description": description}


def nullable(schema: dict[str, Any]) -> dict[str, Any]:
    """An optional field of a PUT body: null means absent, as in OpenWhisk."""
    return {**schema, "x-nullable": True}


def _entity_common(kind: str) -> dict[str, Any]:
    return {
        "namespace": {"description": f"Namespace of the {kind}: ignored, the path's is used"},
        "name": {"description": f"Name of the {kind}: ignored, the path's is used"},
        "version": nullable({"type": "string", "pattern": SEMVER_PATTERN}),
        "publish": nullable({"type": "boolean", "description": "Whether the item is shared"}),
        "annotations": nullable(_key_values("annotations on the item")),
    }


def _stored(kind: str, extra: dict[str, Any], required: tuple[str, ...] = ()) -> dict[str, Any]:
    """The shape of an entity as the API returns it."""
    return {
        "type": "object",
        "required": ["namespace", "name", "version", "publish", "annotations", *required],
        "properties": {
            "namespace": {"type": "string"},
            "name": {"type": "string"},
            "version": {"type": "string", "pattern": SEMVER_PATTERN},
            "publish": {"type": "boolean"},
            "annotations": _key_values(f"annotations on the {kind}"),
            "updated": {"type": "integer"},
            **extra,
        },
    }


def _limits(bounds: DocumentBounds) -> dict[str, Any]:
    r = bounds.ranges

    def bounded(rng: Any, description: str) -> dict[str, Any]:
        return {
            "type": "integer",
            "minimum": rng.min,
            "maximum": rng.max,
            "default": rng.default,
            "description": description,
        }

    return {
        "type": "object",
        "description": "Limits on a specific action",
        "properties": {
            "timeout": bounded(r.timeout_ms, "timeout in milliseconds"),
            "memory": bounded(r.memory_mb, "memory in megabytes"),
            "logs": bounded(r.logs_mb, "log size in megabytes"),
            "concurrency": bounded(
                r.concurrency, "concurrent activations allowed within an instance"
            ),
        },
    }


def definitions(bounds: DocumentBounds) -> dict[str, Any]:
    any_value: dict[str, Any] = {"description": "Any JSON value"}
    limits = _limits(bounds)
    return {
        "KeyValue": {
            "type": "object",
            "required": ["key"],
            "properties": {
                "key": {"type": "string", "minLength": 1},
                "value": any_value,
                "init": {"type": "boolean", "description": "passed to the action's /init"},
            },
        },
        "ErrorMessage": {
            "type": "object",
            "required": ["error", "code"],
            "properties": {
                "error": {"type": "string"},
                "code": {"type": "string", "description": "The transaction id"},
            },
        },
        "ActivationId": {
            "type": "object",
            "required": ["activationId"],
            "properties": {"activationId": {"type": "string", "pattern": ACTIVATION_ID_PATTERN}},
        },
        "ActionLimits": limits,
        "ActionExec": {
            "type": "object",
            "required": ["kind", "code"],
            "description": (
                "The code of the action. Also accepted, outside this schema: kind 'blackbox' "
                "with an 'image', and kind 'sequence' with 'components' (fully qualified "
                "names of existing actions)."
            ),
            "properties": {
                "kind": {"type": "string", "enum": list(bounds.kinds)},
                "code": {"type": "string", "description": "source, or a base64 zip"},
                "main": nullable({"type": "string", "description": "entry point (default main)"}),
                "binary": {"description": "ignored: inferred from the code"},
            },
        },
        "ActionPut": {
            "type": "object",
            "required": ["exec"],
            "description": "An action as created (exec is optional on overwrite=true)",
            "properties": {
                **_entity_common("action"),
                "exec": ref("ActionExec"),
                "delAnnotations": nullable({"type": "array", "items": {"type": "string"}}),
                "parameters": nullable(_key_values("default parameters of the action")),
                "limits": nullable(limits),
            },
        },
        "Action": _stored(
            "action",
            {
                "exec": {"type": "object", "properties": {"kind": {"type": "string"}}},
                "parameters": _key_values("parameters"),
                "limits": {"type": "object"},
            },
            ("exec", "limits"),
        ),
        "PackagePut": {
            "type": "object",
            "description": (
                "A package. Also accepted, outside this schema: 'binding' "
                '{"namespace", "name"} naming an existing package to bind to.'
            ),
            "properties": {
                **_entity_common("package"),
                "parameters": nullable(_key_values("parameters for the package's actions")),
            },
        },
        "Package": _stored("package", {"parameters": _key_values("parameters")}),
        "TriggerPut": {
            "type": "object",
            "properties": {
                **_entity_common("trigger"),
                "parameters": nullable(_key_values("parameters passed on to fired actions")),
            },
        },
        "Trigger": _stored("trigger", {"parameters": _key_values("parameters")}),
        "RulePut": {
            "type": "object",
            "required": ["trigger", "action"],
            "description": "A rule; its trigger and action must exist (else 400)",
            "properties": {
                **_entity_common("rule"),
                "status": {"description": "ignored: a rule is created active (see POST)"},
                "trigger": {"type": "string", "minLength": 1, "description": "trigger name"},
                "action": {"type": "string", "minLength": 1, "description": "action name"},
            },
        },
        "RuleStatus": {
            "type": "object",
            "required": ["status"],
            "properties": {"status": {"type": "string", "enum": ["active", "inactive"]}},
        },
        "Rule": _stored(
            "rule",
            {
                "status": {"type": "string"},
                "trigger": {"type": "object"},
                "action": {"type": "object"},
            },
            ("trigger", "action"),
        ),
        "Activation": {
            "type": "object",
            "required": ["activationId", "namespace", "name"],
            "properties": {
                "activationId": {"type": "string"},
                "namespace": {"type": "string"},
                "name": {"type": "string"},
                "version": {"type": "string"},
                "subject": {"type": "string"},
                "start": {"type": "integer"},
                "end": {"type": "integer"},
                "response": {"type": "object"},
                "logs": {"type": "array", "items": {"type": "string"}},
                "annotations": _key_values("annotations"),
            },
        },
        "ActivationLogs": {
            "type": "object",
            "required": ["logs"],
            "properties": {"logs": {"type": "array", "items": {"type": "string"}}},
        },
        "ActivationResult": {
            "type": "object",
            "properties": {
                "status": {"type": "string"},
                "statusCode": {"type": "integer"},
                "success": {"type": "boolean"},
                "result": any_value,
            },
        },
        "FeedRequest": {
            "type": "object",
            "required": ["lifecycleEvent", "triggerName"],
            "properties": {
                "lifecycleEvent": {
                    "type": "string",
                    "enum": ["CREATE", "READ", "UPDATE", "DELETE", "PAUSE", "UNPAUSE"],
                },
                "triggerName": {
                    "type": "string",
                    "minLength": 1,
                    "description": "/namespace/trigger",
                },
            },
        },
        "UserLimits": {
            "type": "object",
            "properties": {
                "invocationsPerMinute": {"type": "integer"},
                "concurrentInvocations": {"type": "integer"},
                "firesPerMinute": {"type": "integer"},
            },
        },
    }
