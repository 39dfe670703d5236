"""The swagger 2.0 document served at ``/api/v1/api-docs`` (pure): OpenWhisk's shape (paths,
parameter names, ``securityDefinitions``, definitions), limited to the routes this controller
serves and as tight as the API: names, enums, bounds and required fields are the ones a request
is checked against, so a client generated from it, or a fuzzer, sends what is accepted."""

from __future__ import annotations

from typing import Any

from controller.api.openapi_schemas import (
    ACTIVATION_ID_PATTERN,
    NAMESPACE_PATTERN,
    DocumentBounds,
    definitions,
    flag,
    integer_query,
    path_name,
    ref,
)
from whisk.entities.names import DEFAULT_NAMESPACE, NAME_MAX_LENGTH

ERROR_TEXT = {
    "400": "Bad request",
    "401": "Unauthorized request",
    "403": "Forbidden: the key may not touch this namespace",
    "404": "Item not found",
    "409": "Conflicting item already exists, or the wrong kind of entity",
    "413": "Request entity too large",
    "415": "The body is not JSON (its Content-Type says another media type)",
    "429": "Too many requests in a given time period",
    "500": "Server error",
    "502": "The action failed (the body is its activation or result)",
    "503": "Not available right now",
}
READ = ("400", "401", "403", "404", "409", "500")
WRITE = ("400", "401", "403", "404", "409", "413", "415", "500")
DELETE = ("400", "401", "403", "404", "409", "415", "500")
RUN = ("400", "401", "403", "404", "409", "413", "415", "429", "500", "503")

NAMESPACE = {
    "name": "namespace",
    "in": "path",
    "required": True,
    "type": "string",
    "pattern": NAMESPACE_PATTERN,
    "minLength": 1,
    "maxLength": NAME_MAX_LENGTH,
    "description": "The entity namespace, or _ for the caller's own",
}
ACTIVATION_ID = {
    "name": "activationid",
    "in": "path",
    "required": True,
    "type": "string",
    "pattern": ACTIVATION_ID_PATTERN,
    "description": "An activation id (32 hex digits)",
}
OVERWRITE = flag("overwrite", "Overwrite the item if it exists. Default is false.")
JSON = ["application/json"]
# where an activation id a response carries can be used (swagger 2.0 has no links; x-links is
# the extension schemathesis reads)
ACTIVATION_LINKS = {
    name: {
        "operationId": operation_id,
        "parameters": {"namespace": "_", "activationid": "$response.body#/activationId"},
    }
    for name, operation_id in (
        ("GetActivation", "getActivationById"),
        ("GetActivationLogs", "getActivationLogs"),
        ("GetActivationResult", "getActivationResult"),
    )
}


def _responses(ok: dict[str, Any], errors: tuple[str, ...]) -> dict[str, Any]:
    out = dict(ok)
    for code in errors:
        out[code] = {"description": ERROR_TEXT[code], "schema": ref("ErrorMessage")}
    return out


def _op(
    tag: str,
    operation_id: str,
    summary: str,
    params: list[dict[str, Any]],
    ok: dict[str, Any],
    errors: tuple[str, ...],
    body: dict[str, Any] | None = None,
    body_required: bool = True,
    produces: bool = True,
) -> dict[str, Any]:
    parameters = list(params)
    op: dict[str, Any] = {"tags": [tag], "operationId": operation_id, "summary": summary}
    if body is not None:
        parameters.append({"name": "body", "in": "body", "required": body_required, "schema": body})
        op["consumes"] = JSON
    op["parameters"] = parameters
    op["produces"] = JSON if produces else []
    op["responses"] = _responses(ok, errors)
    return op


def _returns(description: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"description": description, **({"schema": schema} if schema is not None else {})}


def _page(bounds: DocumentBounds) -> list[dict[str, Any]]:
    return [
        integer_query("skip", "Number of entities to skip", 0),
        integer_query(
            "limit", "At most this many (0 = the maximum, default 30)", 0, bounds.list_max_limit
        ),
        flag("count", "Only count them: {collection: N}"),
    ]


def _listing(collection: str) -> dict[str, Any]:
    return _returns(f"The {collection} (an array), or with count=true {{{collection!r}: N}}")


def _crud(
    tag: str, singular: str, name_param: dict[str, Any], extra_params: list[dict[str, Any]]
) -> dict[str, Any]:
    """get, put and delete of one entity of a collection."""
    schema, put = singular.capitalize(), f"{singular.capitalize()}Put"
    return {
        "parameters": [NAMESPACE, *extra_params, name_param],
        "get": _op(
            tag,
            f"get{schema}ByName",
            f"Get {singular} information",
            [],
            {"200": _returns(f"The {singular}", ref(schema))},
            READ,
        ),
        "put": _op(
            tag,
            f"update{schema}",
            f"Create or update a {singular}",
            [OVERWRITE],
            {"200": _returns(f"The {singular} as stored", ref(schema))},
            WRITE,
            ref(put),
        ),
        "delete": _op(
            tag,
            f"delete{schema}",
            f"Delete a {singular}",
            [],
            {"200": _returns(f"The deleted {singular}", ref(schema))},
            DELETE,
        ),
    }


def _invoke(bounds: DocumentBounds, operation_id: str) -> dict[str, Any]:
    return _op(
        "Actions",
        operation_id,
        "Invoke an action",
        [
            flag("blocking", "Wait for the result. Default is false."),
            flag("result", "Return only the result of a blocking activation"),
            integer_query("timeout", "Longest blocking wait in ms", 1, bounds.max_blocking_wait_ms),
        ],
        {
            "200": _returns("The activation (or its result)"),
            "202": {
                **_returns("Accepted (or not finished in time)", ref("ActivationId")),
                "x-links": ACTIVATION_LINKS,
            },
            "502": _returns(ERROR_TEXT["502"]),
        },
        RUN,
        {"type": "object", "description": "The parameters of the activation"},
        body_required=False,
    )


def _actions(bounds: DocumentBounds) -> dict[str, Any]:
    action = path_name("actionName", "Name of the action")
    package = path_name("packageName", "Name of the package")
    list_params = [NAMESPACE, *_page(bounds)]
    one = _crud("Actions", "action", action, [])
    one["get"]["parameters"].append(flag("code", "Include the code. Default is true."))
    one["post"] = _invoke(bounds, "invokeAction")
    in_package = _crud("Actions", "action", action, [package])
    for method, op in in_package.items():
        if method != "parameters":
            in_package[method] = {**op, "operationId": op["operationId"] + "InPackage"}
    in_package["post"] = _invoke(bounds, "invokeActionInPackage")
    return {
        "/namespaces/{namespace}/actions": {
            "get": _op(
                "Actions",
                "getAllActions",
                "Get all actions",
                list_params,
                {"200": _listing("actions")},
                READ,
            )
        },
        "/namespaces/{namespace}/actions/{packageName}/": {
            "get": _op(
                "Actions",
                "getActionsInPackage",
                "Get the actions of a package",
                [NAMESPACE, package, *_page(bounds)],
                {"200": _listing("actions")},
                READ,
            )
        },
        "/namespaces/{namespace}/actions/{actionName}": one,
        "/namespaces/{namespace}/actions/{packageName}/{actionName}": in_package,
    }


def _collection(tag: str, plural: str, bounds: DocumentBounds) -> dict[str, Any]:
    singular = plural[:-1]
    name = path_name(f"{singular}Name", f"Name of the {singular}")
    return {
        f"/namespaces/{{namespace}}/{plural}": {
            "get": _op(
                tag,
                f"getAll{tag}",
                f"Get all {plural}",
                [NAMESPACE, *_page(bounds)],
                {"200": _listing(plural)},
                READ,
            )
        },
        f"/namespaces/{{namespace}}/{plural}/{{{singular}Name}}": _crud(tag, singular, name, []),
    }


def _activations(bounds: DocumentBounds) -> dict[str, Any]:
    base = "/namespaces/{namespace}/activations"
    one = [NAMESPACE, ACTIVATION_ID]

    def get(operation_id: str, summary: str, schema: str) -> dict[str, Any]:
        return {
            "get": _op(
                "Activations",
                operation_id,
                summary,
                one,
                {"200": _returns(summary, ref(schema))},
                READ,
            )
        }

    return {
        base: {
            "get": _op(
                "Activations",
                "getActivations",
                "Get activation summaries (newest first)",
                [
                    NAMESPACE,
                    *_page(bounds),
                    {
                        "name": "name",
                        "in": "query",
                        "required": False,
                        "type": "string",
                        "pattern": r"^(?:\w|\w[\w@ .&-]{0,254}[\w@.&-])"
                        r"(?:/(?:\w|\w[\w@ .&-]{0,254}[\w@.&-]))?$",
                        "description": "action or package/action",
                    },
                    integer_query("since", "Only activations since, epoch ms", 0),
                    integer_query("upto", "Only activations up to, epoch ms", 0),
                    flag("docs", "Whole records instead of summaries (not with count)"),
                ],
                {"200": _listing("activations")},
                READ,
            )
        },
        base + "/{activationid}": get("getActivationById", "Get an activation", "Activation"),
        base + "/{activationid}/logs": get(
            "getActivationLogs", "Get an activation's logs", "ActivationLogs"
        ),
        base + "/{activationid}/result": get(
            "getActivationResult", "Get an activation's response", "ActivationResult"
        ),
    }


def _usage() -> dict[str, Any]:
    figures = {
        "activations": {"type": "integer"},
        "billedMs": {"type": "integer", "description": "durations rounded up to 1 ms"},
        "gbSeconds": {"type": "number", "description": "memory GB x billed seconds"},
        "coldStarts": {"type": "integer"},
        "errors": {"type": "integer", "description": "activations with statusCode != 0"},
    }
    schema = {
        "type": "object",
        "required": ["namespace", "actions"],
        "properties": {
            "namespace": {"type": "string"},
            "since": {"type": "integer", "x-nullable": True},
            "upto": {"type": "integer", "x-nullable": True},
            **figures,
            "actions": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {"name": {"type": "string"}, **figures},
                },
            },
        },
    }
    return _op(
        "Namespaces",
        "getUsage",
        "The namespace's metered usage (primitive activations), in total and per action, "
        "over the hour buckets overlapping the window",
        [
            NAMESPACE,
            integer_query("since", "epoch ms (default: from the first hour)", 0),
            integer_query("upto", "epoch ms (default: to the last hour)", 0),
        ],
        {"200": _returns("The usage", schema)},
        READ,
    )


def _web() -> dict[str, Any]:
    def segment(name: str, description: str) -> dict[str, Any]:
        return {
            "name": name,
            "in": "path",
            "required": True,
            "type": "string",
            "minLength": 1,
            "description": description,
        }

    op = {
        "tags": ["Web"],
        "summary": "Call a web action (annotated web-export); no key needed",
        "security": [],
        "parameters": [
            segment("namespace", "The action's namespace"),
            segment("packageName", "A package, or 'default' for none"),
            segment("actionName", "The action, optionally with .json/.html/.http/.text/.svg"),
        ],
        "responses": {"default": {"description": "The action's response, or an error"}},
    }
    methods = ("get", "post", "put", "patch", "delete", "head", "options")
    return {
        "/web/{namespace}/{packageName}/{actionName}": {
            m: {**op, "operationId": f"webAction{m.capitalize()}"} for m in methods
        }
    }


def _feeds() -> dict[str, Any]:
    return {
        "/feeds/{package}/{feed}": {
            "post": _op(
                "Feeds",
                "feedLifecycle",
                "Feed lifecycle of a built-in provider (alarms, messaging); Basic auth with "
                "the trigger owner's key",
                [
                    {
                        "name": "package",
                        "in": "path",
                        "required": True,
                        "type": "string",
                        "enum": ["alarms", "messaging"],
                    },
                    {
                        "name": "feed",
                        "in": "path",
                        "required": True,
                        "type": "string",
                        "enum": ["alarm", "interval", "once", "kafkaFeed"],
                    },
                ],
                {"200": _returns("The feed's registration or state")},
                ("400", "401", "403", "404", "409", "415", "500"),
                ref("FeedRequest"),
            )
        }
    }


# Reads another namespace may answer (its published packages and their actions)
SHARED = frozenset(
    {
        "getAllPackages",
        "getPackageByName",
        "getActionsInPackage",
        "getActionByName",
        "getActionByNameInPackage",
        "invokeAction",
        "invokeActionInPackage",
    }
)


def for_namespace(doc: dict[str, Any], namespace: str) -> dict[str, Any]:
    """``doc`` for a caller of ``namespace``: on every route that only serves the key's own
    namespace, the namespace parameter is ``_`` or that namespace (an operation's parameter
    overrides its path's). Shared reads and web actions keep any namespace."""
    entitled = {**NAMESPACE, "enum": [DEFAULT_NAMESPACE, namespace]}
    paths: dict[str, Any] = {}
    for path, item in doc["paths"].items():
        at_path = any(p is NAMESPACE for p in item.get("parameters", []))
        paths[path] = dict(item)
        for method, op in item.items():
            if method == "parameters" or op.get("operationId") in SHARED:
                continue
            own = [p for p in op["parameters"] if p is not NAMESPACE]
            if at_path or len(own) < len(op["parameters"]):
                paths[path][method] = {**op, "parameters": [entitled, *own]}
    return {**doc, "paths": paths}


def openapi_document(version: str, bounds: DocumentBounds) -> dict[str, Any]:
    paths: dict[str, Any] = {
        "/namespaces": {
            "get": _op(
                "Namespaces",
                "getAllNamespaces",
                "Get the caller's namespaces",
                [],
                {"200": _returns("Namespaces", {"type": "array", "items": {"type": "string"}})},
                ("401", "500"),
            )
        },
        "/namespaces/{namespace}/limits": {
            "get": _op(
                "Namespaces",
                "getLimits",
                "Get the namespace's limits",
                [NAMESPACE],
                {"200": _returns("The limits", ref("UserLimits"))},
                READ,
            )
        },
        "/namespaces/{namespace}/usage": {"get": _usage()},
    }
    paths.update(_actions(bounds))
    paths.update(_collection("Packages", "packages", bounds))
    paths.update(_collection("Triggers", "triggers", bounds))
    paths.update(_collection("Rules", "rules", bounds))
    trigger = paths["/namespaces/{namespace}/triggers/{triggerName}"]
    trigger["post"] = _op(
        "Triggers",
        "fireTrigger",
        "Fire a trigger",
        [],
        {
            "202": _returns("Fired", ref("ActivationId")),
            "204": _returns("The trigger has no active rule"),
        },
        RUN,
        {"type": "object", "description": "The parameters of the trigger's activation"},
        body_required=False,
        produces=False,  # a 204 (no active rule) has no body, so no media type
    )
    rule = paths["/namespaces/{namespace}/rules/{ruleName}"]
    rule["post"] = _op(
        "Rules",
        "setState",
        "Enable or disable a rule",
        [],
        {"200": _returns("The new state (no body)")},
        DELETE,
        ref("RuleStatus"),
        produces=False,
    )
    package = paths["/namespaces/{namespace}/packages/{packageName}"]
    package["delete"]["parameters"].append(flag("force", "Also delete the package's actions"))
    paths.update(_activations(bounds))
    paths.update(_web())
    paths.update(_feeds())
    return {
        "swagger": "2.0",
        "info": {
            "title": "Whisk API (OpenWhisk API v1)",
            "version": version,
            "description": "Unknown query parameters and body fields are ignored; a JSON body "
            "may not contain U+0000 in any string.",
        },
        "basePath": "/api/v1",
        "consumes": JSON,
        "securityDefinitions": {"basicAuth": {"type": "basic"}},
        "security": [{"basicAuth": []}],
        "paths": paths,
        "definitions": definitions(bounds),
    }
