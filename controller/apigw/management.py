"""The ``/whisk.system/apimgmt`` web actions, ``createApi``, ``getApi`` and ``deleteApi``, as
OpenWhisk's ``routemgmt`` answers them (its ``apigw-utils`` flavour, which both the npm client
and ``wsk`` use), over the ``RouteStore`` instead of a separate gateway.

Each takes the web action's parameters (query and body merged) and the caller's namespace
(``__ow_user``: None without a valid key), and gives a ``Reply``: 200 with the answer, or 502
with ``{"error": message}`` in OpenWhisk's words.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

from controller.apigw import swagger as sw
from whisk.store.ports import RouteStore, StoredApi

NOT_USED = "Not Used"


@dataclass(frozen=True, slots=True)
class Reply:
    status: int
    body: Any


class Failure(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def managed_url(origin: str, namespace: str, base_path: str) -> str:
    """Where the gateway serves an API: ``{apihost}/api/{namespace}/{basePath}``."""
    base = base_path.strip("/")
    return f"{origin}/api/{namespace}" + (f"/{base}" if base else "")


def cli_api(api: StoredApi, origin: str) -> dict[str, Any]:
    """One API as the clients read it (``value`` of getApi's ``apis``, createApi's answer)."""
    return {
        "namespace": NOT_USED,
        "gwApiActivated": True,
        "tenantId": NOT_USED,
        "gwApiUrl": managed_url(origin, api.namespace, api.base_path),
        "apidoc": api.swagger,
    }


async def find_api(routes: RouteStore, namespace: str, base_or_name: str) -> StoredApi | None:
    """By base path when it starts with ``/``, else by API name (``info.title``)."""
    if base_or_name.startswith("/"):
        return await routes.get_api(namespace, sw.normal_base_path(base_or_name))
    for api in await routes.list_apis(namespace):
        if api.name == base_or_name:
            return api
    return None


def _json_field(value: Any, field: str, what: str) -> Any:
    if isinstance(value, dict):
        return value
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            raise Failure(f"{field} field cannot be parsed. Ensure it is valid JSON.") from None
    raise Failure(f"{field} {what} {_js_type(value)} and should be a JSON object or a JSON string.")


def _js_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    return "object"


def _check_create(params: dict[str, Any], user: str | None) -> dict[str, Any]:
    """OpenWhisk's createApi argument checks; the parsed apidoc."""
    if not user:
        raise Failure("A valid auth key is required.")
    if not params.get("apidoc"):
        raise Failure("apidoc is required.")
    doc = _json_field(params["apidoc"], "apidoc", "field is of type")
    if not isinstance(doc, dict):
        raise Failure("apidoc field cannot be parsed. Ensure it is valid JSON.")
    if not doc.get("namespace"):
        raise Failure("apidoc is missing the namespace field")
    if doc.get("swagger"):
        if doc.get("gatewayBasePath"):
            raise Failure(
                "swagger and gatewayBasePath are mutually exclusive and cannot be specified "
                "together."
            )
        spec = doc["swagger"]
        if isinstance(spec, str):
            try:
                spec = json.loads(spec)
            except ValueError:
                raise Failure("swagger field cannot be parsed. Ensure it is valid JSON.") from None
        elif not isinstance(spec, dict):
            raise Failure(
                f"swagger field is {_js_type(spec)} and should be an object or a JSON string."
            )
        if not isinstance(spec, dict):
            raise Failure("swagger field cannot be parsed. Ensure it is valid JSON.")
        for name in ("basePath", "paths", "info"):
            if not spec.get(name) and not (name == "paths" and spec.get(name) == {}):
                raise Failure(f"swagger is missing the {name} field.")
        doc["swagger"] = spec
        return doc
    for name in ("gatewayBasePath", "gatewayPath", "gatewayMethod"):
        if not doc.get(name):
            raise Failure(f"apidoc is missing the {name} field")
    action = doc.get("action")
    if not isinstance(action, dict) or not action:
        raise Failure("apidoc is missing the action field.")
    for name in ("backendMethod", "backendUrl", "namespace", "name", "authkey"):
        if not action.get(name):
            raise Failure(f"action is missing the {name} field.")
    return doc


def _own_namespace(doc: dict[str, Any], user: str) -> None:
    """The caller's namespace replaces ``_`` (the clients' default) in the apidoc."""
    action = doc.get("action")
    if isinstance(action, dict) and action.get("namespace") == "_":
        action["namespace"] = user
        action["backendUrl"] = sw.replace_web_namespace(str(action.get("backendUrl", "")), user)
    doc["namespace"] = user


async def create_api(
    routes: RouteStore, params: dict[str, Any], user: str | None, origin: str
) -> Reply:
    try:
        doc = _check_create(params, user)
    except Failure as exc:
        return _error(exc.message)
    assert user is not None
    _own_namespace(doc, user)
    spec = doc.get("swagger")
    base_path = str(spec["basePath"] if spec else doc["gatewayBasePath"])
    try:
        existing = await find_api(routes, user, base_path)
        if spec:
            document: dict[str, Any] = spec
        else:
            start = existing.swagger if existing else sw.base_swagger(base_path, doc.get("apiName"))
            try:
                document = sw.add_endpoint(start, doc, params.get("responsetype"))
            except (KeyError, ValueError, TypeError) as exc:
                raise Failure(f"API swagger generation error: {exc}") from exc
        problem = sw.validate_final(document)
        if problem:
            raise Failure(problem)
        api = StoredApi(
            namespace=user,
            base_path=sw.normal_base_path(str(document.get("basePath") or base_path)),
            name=str((document.get("info") or {}).get("title") or base_path),
            swagger=document,
            actions=sw.actions_called(document),
            updated_ms=int(time.time() * 1000),
        )
        if existing is not None and existing.base_path != api.base_path:
            await routes.delete_api(user, existing.base_path)
        await routes.put_api(api)
    except Failure as exc:
        return _error(f"API creation failure: {exc.message}")
    return Reply(200, cli_api(api, origin))


def _caller(params: dict[str, Any], user: str | None) -> str | None:
    namespace = user or params.get("namespace")
    return str(namespace) if namespace else None


def _int(value: Any, default: int) -> int:
    try:
        return max(0, int(value))
    except (TypeError, ValueError):
        return default


async def get_api(
    routes: RouteStore, params: dict[str, Any], user: str | None, origin: str
) -> Reply:
    namespace = _caller(params, user)
    if namespace is None:
        return _error("Invalid authentication.")
    output = params.get("outputFormat")
    if output and str(output).lower() not in ("apigw", "swagger"):
        return _error("Invalid outputFormat value. Valid values are: apigw, swagger")
    base = params.get("basepath")
    if base:
        found = await find_api(routes, namespace, str(base))
        apis = [found] if found else []
    else:
        apis = await routes.list_apis(namespace)
        skip, limit = _int(params.get("skip"), 0), _int(params.get("limit"), 0)
        apis = apis[skip : skip + limit] if limit else apis[skip:]
    items = [{"id": NOT_USED, "key": NOT_USED, "value": cli_api(a, origin)} for a in apis]
    return Reply(200, {"apis": items})


async def delete_api(routes: RouteStore, params: dict[str, Any], user: str | None) -> Reply:
    namespace = _caller(params, user)
    if namespace is None:
        return _error("Invalid authentication.")
    base = params.get("basepath")
    if not base:
        return _error("basepath is required.")
    relpath, operation = params.get("relpath"), params.get("operation")
    if not relpath and operation:
        return _error("When specifying an operation, the path is required.")
    found = await find_api(routes, namespace, str(base))
    if found is None:
        return _error(f"API deletion failure: API '{base}' does not exist.")
    if not relpath:
        await routes.delete_api(namespace, found.base_path)
        return Reply(200, {})
    edited = sw.remove_endpoint(found.swagger, str(relpath), str(operation) if operation else None)
    if isinstance(edited, str):
        return _error(f"API deletion failure: {edited}")
    await store_edited(routes, found, edited)
    return Reply(200, {})


async def store_edited(routes: RouteStore, api: StoredApi, document: dict[str, Any]) -> None:
    """Keep the edited document, or drop the API when it has no path left (as OpenWhisk)."""
    if not document.get("paths"):
        await routes.delete_api(api.namespace, api.base_path)
        return
    await routes.put_api(
        StoredApi(
            namespace=api.namespace,
            base_path=api.base_path,
            name=api.name,
            swagger=document,
            actions=sw.actions_called(document),
            updated_ms=int(time.time() * 1000),
        )
    )


def _error(message: str) -> Reply:
    return Reply(502, {"error": message})
