"""The OpenAPI (swagger 2.0) document of an API, as OpenWhisk's ``routemgmt`` builds it.

Pure functions on JSON values: a new API's skeleton, one operation added (with the gateway's
``x-ibm-configuration`` case that names its target web action) or removed, the checks made
before a document is stored, and the names of the actions a document calls. Messages are
OpenWhisk's, word for word.
"""

from __future__ import annotations

import copy
import re
from typing import Any

RESPONSE_TYPES = ("json", "http", "text", "html", "svg")

_ACTION_URL = re.compile(
    r"(\w+)://([:/\w.\-]+)/api/v\d/web/([@\w .\-]+)/([@\w .\-]+)/([@\w .\-/]+)\.(\w+)"
)
_ACTION_NAME = re.compile(r"/?([@ .\-\w]*)/?([@ .\-\w]*)/?([@ .\-\w]*)")
_PARAM_SEGMENT = re.compile(r"/\{([^/]+)\}/|/\{([^/]+)\}$")
_PARAM_NAME = re.compile(r"\{([^/]+)\}")
_WEB_NAMESPACE = re.compile(r"/api/v1/web/([\w@.-]+)/")
_CASES = ("x-ibm-configuration", "assembly", "execute")


def base_swagger(base_path: str, name: str | None) -> dict[str, Any]:
    """A new API with no operation yet; CORS is on."""
    return {
        "swagger": "2.0",
        "info": {"title": name or base_path, "version": "1.0.0"},
        "basePath": base_path,
        "paths": {},
        "x-ibm-configuration": {"assembly": {}, "cors": {"enabled": True}},
    }


def operation_id(method: str, relpath: str) -> str:
    """``get`` + ``/books/{isbn}`` -> ``getBooksIsbn``."""
    spaced = re.sub(r"[^0-9a-z_-]", " ", relpath, flags=re.IGNORECASE)
    camel = re.sub(r"\w\S*", lambda m: m.group(0)[:1].upper() + m.group(0)[1:].lower(), spaced)
    return method.lower() + re.sub(r"\s", "", camel)


def split_action_name(fq_name: str) -> tuple[str, str, str]:
    """``/ns/pkg/a``, ``pkg/a`` or ``a`` -> (namespace, package, action), '' where absent."""
    match = _ACTION_NAME.match(fq_name)
    first, second, third = match.groups() if match else ("", "", "")
    if third:
        return first, second, third
    if second:
        return "", first, second
    return "", "", first


def has_path_parameters(path: str) -> bool:
    return _PARAM_SEGMENT.search(path) is not None


def path_parameter_names(path: str) -> list[str]:
    return [m.group(1) for m in _PARAM_NAME.finditer(path)]


def web_action_url(action: dict[str, Any], response_type: str, target: bool = False) -> str:
    """The web action URL of an operation; the gateway's target for ``http`` carries the
    request path (``$(request.path)``)."""
    match = _ACTION_URL.match(str(action.get("backendUrl", "")))
    if match is None:
        raise ValueError(f"invalid action backendUrl '{action.get('backendUrl')}'")
    protocol, host = match.group(1), match.group(2)
    _, package, name = split_action_name(str(action.get("name", "")))
    suffix = "$(request.path)" if target and response_type == "http" else ""
    return (
        f"{protocol}://{host}/api/v1/web/{action.get('namespace')}/{package or 'default'}/"
        f"{name}.{response_type}{suffix}"
    )


def _cases(swagger: dict[str, Any]) -> list[dict[str, Any]]:
    """``x-ibm-configuration.assembly.execute[0].operation-switch.case``, created if absent."""
    config = swagger.setdefault("x-ibm-configuration", {})
    assembly = config.setdefault("assembly", {})
    execute = assembly.setdefault("execute", [])
    if not execute:
        execute.append({})
    switch = execute[0].setdefault("operation-switch", {})
    cases: list[dict[str, Any]] = switch.setdefault("case", [])
    return cases


def _case_index(cases: list[dict[str, Any]], op_id: str) -> int:
    for i, case in enumerate(cases):
        if (case.get("operations") or [None])[0] == op_id:
            return i
    return len(cases)


def add_endpoint(
    swagger: dict[str, Any], apidoc: dict[str, Any], response_type: str | None
) -> dict[str, Any]:
    """``swagger`` with the operation of ``apidoc`` (gatewayPath, gatewayMethod, action) added
    or replaced; a new document, ``swagger`` is left as it was."""
    doc = copy.deepcopy(swagger)
    kind = response_type or "json"
    method = str(apidoc["gatewayMethod"]).lower()
    relpath = str(apidoc["gatewayPath"])
    action = apidoc["action"]
    op_id = operation_id(method, relpath)
    _, package, name = split_action_name(str(action.get("name", "")))
    doc.setdefault("paths", {}).setdefault(relpath, {})[method] = {
        "operationId": op_id,
        **({"parameters": apidoc["pathParameters"]} if apidoc.get("pathParameters") else {}),
        "x-openwhisk": {
            "url": web_action_url(action, kind),
            "namespace": action.get("namespace"),
            "package": package,
            "action": name,
        },
        "responses": {"default": {"description": "Default response"}},
    }
    cases = _cases(doc)
    index = _case_index(cases, op_id)
    execute: list[dict[str, Any]] = [
        {"invoke": {"target-url": web_action_url(action, kind, target=True), "verb": "keep"}}
    ]
    if action.get("secureKey"):
        execute.append(
            {
                "set-variable": {
                    "actions": [
                        {
                            "set": "message.headers.X-Require-Whisk-Auth",
                            "value": action["secureKey"],
                        }
                    ]
                }
            }
        )
    case = {"operations": [op_id], "execute": execute}
    if index == len(cases):
        cases.append(case)
    else:
        cases[index] = case
    return doc


def remove_endpoint(
    swagger: dict[str, Any], relpath: str | None, operation: str | None
) -> dict[str, Any] | str:
    """``swagger`` without ``relpath`` (all its operations, or only ``operation``): a new
    document, or OpenWhisk's message when there is nothing to remove."""
    doc = copy.deepcopy(swagger)
    paths = doc.setdefault("paths", {})
    if not relpath:
        return "No path provided; nothing to remove"
    op = operation.lower() if operation else None
    if op is None:
        if relpath not in paths:
            return f"path '{relpath}' does not exist in the API"
        for method in list(paths[relpath]):
            _drop_case(doc, operation_id(method, relpath))
        del paths[relpath]
        return doc
    if relpath not in paths or op not in paths[relpath]:
        return f"path '{relpath}' with operation '{op}' does not exist in the API"
    del paths[relpath][op]
    if not paths[relpath]:
        del paths[relpath]
    _drop_case(doc, operation_id(op, relpath))
    return doc


def _drop_case(doc: dict[str, Any], op_id: str) -> None:
    try:
        cases = doc["x-ibm-configuration"]["assembly"]["execute"][0]["operation-switch"]["case"]
    except (KeyError, IndexError, TypeError):
        return
    index = _case_index(cases, op_id)
    if index < len(cases):
        del cases[index]


def target_urls(doc: dict[str, Any]) -> dict[str, str]:
    """operationId -> the gateway's target URL (``invoke.target-url`` of its case)."""
    found: dict[str, str] = {}
    try:
        execute = doc["x-ibm-configuration"]["assembly"]["execute"]
    except (KeyError, TypeError):
        return found
    for step in execute if isinstance(execute, list) else []:
        switch = step.get("operation-switch") if isinstance(step, dict) else None
        for case in (switch or {}).get("case") or []:
            ops, steps = case.get("operations") or [], case.get("execute") or []
            for i, op in enumerate(ops):
                url = (steps[i].get("invoke") or {}).get("target-url") if i < len(steps) else None
                if isinstance(url, str):
                    found[op] = url
    return found


def validate_final(doc: dict[str, Any]) -> str | None:
    """OpenWhisk's last check before a document is stored: path parameters only in relative
    paths, declared, and delivered to ``http`` web actions."""
    base = doc.get("basePath")
    if isinstance(base, str) and has_path_parameters(base):
        return (
            f"The base path ({base}) cannot have parameters. Only the relative path supports "
            "path parameters."
        )
    targets = target_urls(doc)
    for path, item in (doc.get("paths") or {}).items():
        if not has_path_parameters(path) or not isinstance(item, dict):
            continue
        shared = item.get("parameters") or []
        for method, op in item.items():
            if method == "parameters" or not isinstance(op, dict):
                continue
            url = (op.get("x-openwhisk") or {}).get("url")
            if url and not str(url).endswith(".http"):
                return (
                    "The action must use a response type of '.http' in order to receive the "
                    "path parameters."
                )
            op_id = op.get("operationId")
            if op_id in targets and not targets[op_id].endswith(".http$(request.path)"):
                return (
                    f"The target-url for operationId '{op_id}' must end in '$(request.path)' "
                    "in order for actions to receive the path parameters."
                )
            declared = {p.get("name") for p in [*shared, *(op.get("parameters") or [])]}
            for name in path_parameter_names(path):
                if name not in declared:
                    return (
                        f"The parameter '{name}' defined in path '{path}' does not match any "
                        "of the parameters defined for the path in the swagger file."
                    )
    return None


def web_path_of(url: str) -> tuple[str, str, str, str] | None:
    """(namespace, package or '', action, extension) of a web action URL, else None."""
    match = _ACTION_URL.match(url.removesuffix("$(request.path)"))
    if match is None:
        return None
    package = "" if match.group(4) == "default" else match.group(4)
    return match.group(3), package, match.group(5), match.group(6)


def actions_called(doc: dict[str, Any]) -> tuple[str, ...]:
    """``/ns/action`` or ``/ns/pkg/action`` of every operation's web action, sorted."""
    targets = target_urls(doc)
    names: set[str] = set()
    for item in (doc.get("paths") or {}).values():
        for method, op in (item or {}).items():
            if method == "parameters" or not isinstance(op, dict):
                continue
            url = targets.get(str(op.get("operationId"))) or (op.get("x-openwhisk") or {}).get(
                "url"
            )
            parsed = web_path_of(url) if isinstance(url, str) else None
            if parsed is not None:
                ns, package, name, _ = parsed
                names.add(f"/{ns}/{package}/{name}" if package else f"/{ns}/{name}")
    return tuple(sorted(names))


def replace_web_namespace(url: str, namespace: str) -> str:
    return _WEB_NAMESPACE.sub(f"/api/v1/web/{namespace}/", url, count=1)


def normal_base_path(base_path: str) -> str:
    """As the gateway keeps it: one leading slash, no trailing one (``/`` for the root)."""
    return "/" + base_path.strip("/")
