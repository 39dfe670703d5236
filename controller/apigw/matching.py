"""Which operation a gateway request names, and where it goes: pure.

A request ``/api/{namespace}/{rest}`` is matched against the namespace's APIs as OpenWhisk's
gateway does: the longest base path that is a prefix of ``rest`` by whole segments, then a
relative path of that API, exactly or with ``{param}`` segments standing for one segment
each (exact paths first, then the one with fewest parameters). The operation's target is the
web action URL of its ``x-ibm-configuration`` case (or its ``x-openwhisk.url``); the forwarded
path is ``/api/v1/web/{ns}/{pkg}/{action}.{ext}``, followed for ``http`` targets by the whole
request path (``$(request.path)``: base path and relative path, as ``__ow_path`` shows it).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from controller.apigw.swagger import normal_base_path, target_urls, web_path_of
from whisk.store.ports import StoredApi

METHODS = ("get", "put", "post", "delete", "patch", "head", "options")


@dataclass(frozen=True, slots=True)
class Route:
    api: StoredApi
    relpath: str  # as in the document: "/books/{isbn}"
    operations: dict[str, Any]  # method -> operation object, for this relpath
    path_params: dict[str, str]


@dataclass(frozen=True, slots=True)
class Target:
    web_path: str  # "/api/v1/web/guest/default/hello.json[/club/books/1]", quoted
    secure_key: str | None  # X-Require-Whisk-Auth to send (the action's secret)


def _segments(path: str) -> list[str]:
    return [s for s in path.split("/") if s]


def _match_relpath(template: str, actual: list[str]) -> dict[str, str] | None:
    parts = _segments(template)
    if len(parts) != len(actual):
        return None
    params: dict[str, str] = {}
    for part, value in zip(parts, actual, strict=True):
        if len(part) > 2 and part.startswith("{") and part.endswith("}"):
            params[part[1:-1]] = value
        elif part != value:
            return None
    return params


def find_route(apis: list[StoredApi], path: str) -> Route | None:
    """The API and relative path that ``path`` (after ``/api/{namespace}``) names, or None.
    A path with ``.`` or ``..`` segments names none (it could not be forwarded as it is)."""
    wanted = _segments(path)
    if any(s in (".", "..") for s in wanted):
        return None
    by_base = sorted(apis, key=lambda a: -len(_segments(normal_base_path(a.base_path))))
    for api in by_base:
        base = _segments(normal_base_path(api.base_path))
        if wanted[: len(base)] != base:
            continue
        rest = wanted[len(base) :]
        candidates: list[tuple[int, str, dict[str, str]]] = []
        for relpath in (api.swagger.get("paths") or {}).keys():
            params = _match_relpath(str(relpath), rest)
            if params is not None:
                candidates.append((len(params), str(relpath), params))
        if candidates:
            _, relpath, params = min(candidates, key=lambda c: c[0])
            operations = api.swagger["paths"][relpath] or {}
            return Route(api, relpath, operations, params)
    return None


def target_of(route: Route, method: str, request_path: str) -> Target | None:
    """Where the operation for ``method`` forwards, or None (no such operation, or it names
    no web action)."""
    op = route.operations.get(method.lower())
    if not isinstance(op, dict):
        return None
    cases = _case_steps(route.api.swagger)
    op_id = op.get("operationId")
    url = target_urls(route.api.swagger).get(op_id) if op_id else None
    url = url or (op.get("x-openwhisk") or {}).get("url")
    parsed = web_path_of(url) if isinstance(url, str) else None
    if parsed is None:
        return None
    namespace, package, action, extension = parsed
    parts = [namespace, package or "default", f"{action}.{extension}"]
    if isinstance(url, str) and url.endswith("$(request.path)"):
        parts += _segments(request_path)
    web_path = "/api/v1/web/" + "/".join(quote(p, safe="@") for p in parts)
    return Target(web_path, _secure_key(cases.get(op_id)))


def _case_steps(doc: dict[str, Any]) -> dict[Any, list[Any]]:
    try:
        execute = doc["x-ibm-configuration"]["assembly"]["execute"]
        cases = execute[0]["operation-switch"]["case"]
    except (KeyError, IndexError, TypeError):
        return {}
    return {(c.get("operations") or [None])[0]: c.get("execute") or [] for c in cases}


def _secure_key(steps: list[Any] | None) -> str | None:
    for step in steps or []:
        setter = step.get("set-variable") if isinstance(step, dict) else None
        for item in (setter or {}).get("actions") or []:
            if item.get("set") == "message.headers.X-Require-Whisk-Auth":
                return str(item.get("value"))
    return None


def cors_enabled(doc: dict[str, Any]) -> bool | None:
    """``x-ibm-configuration.cors.enabled`` (or ``x-gateway-configuration``): None if unset."""
    config = doc.get("x-gateway-configuration") or doc.get("x-ibm-configuration") or {}
    enabled = (config.get("cors") or {}).get("enabled") if isinstance(config, dict) else None
    return enabled if isinstance(enabled, bool) else None
