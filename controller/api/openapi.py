"""Our own OpenAPI 3 document: the routes this controller actually serves, nothing more."""

from __future__ import annotations

from typing import Any

_NS = {
    "name": "ns",
    "in": "path",
    "required": True,
    "schema": {"type": "string"},
    "description": "A namespace, or _ for the caller's own.",
}
_NAME = {"name": "name", "in": "path", "required": True, "schema": {"type": "string"}}
_PKG = {"name": "package", "in": "path", "required": True, "schema": {"type": "string"}}
_ID = {
    "name": "id",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "pattern": "^[0-9a-f]{32}$"},
}


def _q(name: str, kind: str = "boolean", doc: str = "") -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "schema": {"type": kind},
        "description": doc,
    }


_PAGE = [
    _q("skip", "integer", "Entities to skip."),
    _q("limit", "integer", "At most this many (0 = 200, default 30)."),
    _q("count", "boolean", "Only count: {collection: N}."),
]
_ERRORS = {
    "400": {"$ref": "#/components/responses/Error"},
    "401": {"$ref": "#/components/responses/Error"},
    "403": {"$ref": "#/components/responses/Error"},
    "404": {"$ref": "#/components/responses/Error"},
}


def _op(
    summary: str,
    params: list[dict[str, Any]],
    ok: str = "200",
    body: bool = False,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    op: dict[str, Any] = {
        "summary": summary,
        "parameters": params,
        "responses": {
            ok: {"description": "OK", "content": {"application/json": {}}},
            **_ERRORS,
            **(extra or {}),
        },
        "security": [{"basic": []}],
    }
    if body:
        op["requestBody"] = {"content": {"application/json": {"schema": {"type": "object"}}}}
    return op


def _entity_paths(collection: str, in_package: bool) -> dict[str, Any]:
    base = f"/namespaces/{{ns}}/{collection}"
    params = [_NS, _NAME]
    paths: dict[str, Any] = {
        base: {"get": _op(f"List {collection}", [_NS, *_PAGE])},
        f"{base}/{{name}}": {
            "get": _op(f"Get one of the {collection}", params),
            "put": _op(
                f"Create or update one of the {collection}",
                [*params, _q("overwrite", doc="Update an existing entity.")],
                body=True,
                extra={
                    "409": {"$ref": "#/components/responses/Error"},
                    "413": {"$ref": "#/components/responses/Error"},
                },
            ),
            "delete": _op(f"Delete one of the {collection}", params),
        },
    }
    if in_package:
        paths[f"{base}/{{package}}/"] = {
            "get": _op("List the actions of a package", [_NS, _PKG, *_PAGE])
        }
        paths[f"{base}/{{package}}/{{name}}"] = {
            k: {**v, "parameters": [_PKG, *v["parameters"]]}
            for k, v in paths[f"{base}/{{name}}"].items()
        }
    return paths


def _usage_op() -> dict[str, Any]:
    op = _op(
        "The namespace's metered usage (primitive activations), in total and per action, "
        "over the hour buckets overlapping the window",
        [
            _NS,
            _q("since", "integer", "epoch ms (default: from the first hour)"),
            _q("upto", "integer", "epoch ms (default: to the last hour)"),
        ],
    )
    figures = {
        "activations": {"type": "integer"},
        "billedMs": {"type": "integer", "description": "durations rounded up to 1 ms"},
        "gbSeconds": {"type": "number", "description": "memory GB x billed seconds"},
        "coldStarts": {"type": "integer"},
        "errors": {"type": "integer", "description": "activations with statusCode != 0"},
    }
    op["responses"]["200"]["content"]["application/json"] = {
        "schema": {
            "type": "object",
            "properties": {
                "namespace": {"type": "string"},
                "since": {"type": "integer", "nullable": True},
                "upto": {"type": "integer", "nullable": True},
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
    }
    return op


def openapi_document(version: str) -> dict[str, Any]:
    paths: dict[str, Any] = {
        "/namespaces": {"get": _op("The caller's namespaces", [])},
        "/namespaces/{ns}/limits": {"get": _op("The namespace's limits", [_NS])},
        "/namespaces/{ns}/usage": {"get": _usage_op()},
    }
    paths.update(_entity_paths("actions", in_package=True))
    paths.update(_entity_paths("packages", in_package=False))
    paths.update(_entity_paths("triggers", in_package=False))
    paths.update(_entity_paths("rules", in_package=False))
    invoke = _op(
        "Invoke an action",
        [
            _NS,
            _NAME,
            _q("blocking"),
            _q("result"),
            _q("timeout", "integer", "Blocking wait in ms."),
        ],
        body=True,
        extra={
            "202": {"description": "Accepted"},
            "502": {"description": "The action failed"},
            "503": {"$ref": "#/components/responses/Error"},
        },
    )
    paths["/namespaces/{ns}/actions/{name}"]["post"] = invoke
    paths["/namespaces/{ns}/actions/{package}/{name}"]["post"] = {
        **invoke,
        "parameters": [_PKG, *invoke["parameters"]],
    }
    paths["/namespaces/{ns}/triggers/{name}"]["post"] = _op(
        "Fire a trigger",
        [_NS, _NAME],
        ok="202",
        body=True,
        extra={
            "204": {"description": "No active rule"},
            "503": {"$ref": "#/components/responses/Error"},
        },
    )
    paths["/namespaces/{ns}/rules/{name}"]["post"] = _op(
        'Enable or disable a rule ({"status": "active"|"inactive"})', [_NS, _NAME], body=True
    )
    paths["/namespaces/{ns}/packages/{name}"]["delete"]["parameters"].append(
        _q("force", doc="Also delete the package's actions.")
    )
    paths["/namespaces/{ns}/actions/{name}"]["get"]["parameters"].append(
        _q("code", doc="false leaves the code out.")
    )
    acts = "/namespaces/{ns}/activations"
    paths[acts] = {
        "get": _op(
            "List activations",
            [
                _NS,
                *_PAGE,
                _q("name", "string", "action or package/action"),
                _q("since", "integer", "epoch ms"),
                _q("upto", "integer", "epoch ms"),
                _q("docs", doc="Full records instead of summaries."),
            ],
        )
    }
    paths[acts + "/{id}"] = {"get": _op("Get an activation", [_NS, _ID])}
    paths[acts + "/{id}/result"] = {"get": _op("Get an activation's response", [_NS, _ID])}
    paths[acts + "/{id}/logs"] = {"get": _op("Get an activation's logs", [_NS, _ID])}
    web_op = {
        "summary": "Call a web action (annotated web-export); no key needed",
        "parameters": [
            _NS,
            {
                "name": "package",
                "in": "path",
                "required": True,
                "schema": {"type": "string"},
                "description": "A package, or 'default' for none.",
            },
            {
                "name": "action",
                "in": "path",
                "required": True,
                "schema": {"type": "string"},
                "description": "The action, optionally with .json/.html/.http/.text/.svg.",
            },
        ],
        "responses": {
            "200": {"description": "The action's response"},
            "202": {"description": "Response not yet ready."},
            "400": {"$ref": "#/components/responses/Error"},
            "401": {"$ref": "#/components/responses/Error"},
            "404": {"$ref": "#/components/responses/Error"},
        },
    }
    paths["/web/{ns}/{package}/{action}"] = {
        m: web_op for m in ("get", "post", "put", "patch", "delete", "head", "options")
    }
    paths["/feeds/{package}/{feed}"] = {
        "post": _op(
            "Feed lifecycle (CREATE, READ, UPDATE, DELETE, PAUSE, UNPAUSE) of a built-in provider "
            "(alarms, messaging); Basic auth with the trigger owner's key",
            [
                {"name": "package", "in": "path", "required": True, "schema": {"type": "string"}},
                {"name": "feed", "in": "path", "required": True, "schema": {"type": "string"}},
            ],
            body=True,
        )
    }
    return {
        "openapi": "3.0.3",
        "info": {"title": "Whisk API (OpenWhisk API v1 compatible)", "version": version},
        "servers": [{"url": "/api/v1"}],
        "paths": paths,
        "components": {
            "securitySchemes": {"basic": {"type": "http", "scheme": "basic"}},
            "responses": {
                "Error": {
                    "description": "Error",
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "required": ["error", "code"],
                                "properties": {
                                    "error": {"type": "string"},
                                    "code": {"type": "string"},
                                },
                            }
                        }
                    },
                }
            },
        },
    }
