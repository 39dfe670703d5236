"""``whisk api create|get|delete|list``: the API gateway, as ``wsk api`` drives it.

Every command calls a ``/whisk.system/apimgmt`` web action (``createApi.http``, ``getApi.http``,
``deleteApi.http``) with wsk's query (``spaceguid``: the key's uuid, ``accesstoken``,
``responsetype``) and prints what wsk prints: ``create`` the route's URL, ``get`` the API's
OpenAPI document (``--full``: the whole API, ``--format yaml``), ``list`` one row per operation.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import click
import yaml

from cli.client import ApiError
from cli.command import Session, calling, noun, session
from cli.names import parse_name
from cli.output import bold, ok, show_json
from cli.params import annotation_value
from whisk.errors import InvalidArgument

api = noun("api", "Work with APIs.")

MGMT = "/web/whisk.system/apimgmt"
VERBS = ("GET", "PUT", "POST", "DELETE", "PATCH", "HEAD", "OPTIONS")
METHODS = ("get", "put", "post", "delete", "options", "head", "patch")  # wsk's print order
RESPONSE_TYPES = ("html", "http", "json", "text", "svg")
_PARAM_SEGMENT = re.compile(r"^\{([^/]+)\}$")
CREATE_USAGE = (
    "Invalid argument(s). Specify a swagger file or specify an API base path with an API "
    "path, an API verb, and an action name."
)


def _user_query(s: Session) -> dict[str, str]:
    """wsk's ``spaceguid`` (the key's uuid) and ``accesstoken`` on every call."""
    return {"spaceguid": (s.config.auth or "").split(":")[0], "accesstoken": "DUMMY TOKEN"}


def _check_path(path: str) -> str:
    if not path.startswith("/"):
        raise InvalidArgument(f"'{path}' must begin with '/'.")
    return path


def _check_verb(verb: str) -> str:
    if verb.upper() not in VERBS:
        raise InvalidArgument(
            f"'{verb}' is not a valid API verb.  Valid values are: [{' '.join(VERBS)}]"
        )
    return verb.upper()


def path_parameters(relpath: str) -> list[dict[str, Any]]:
    """One swagger parameter per distinct ``{name}`` segment, as wsk generates them."""
    names: list[str] = []
    for segment in relpath.split("/"):
        match = _PARAM_SEGMENT.match(segment)
        if match and match.group(1) not in names:
            names.append(match.group(1))
    return [
        {
            "name": n,
            "in": "path",
            "description": f"Default description for '{n}'",
            "required": True,
            "type": "string",
        }
        for n in names
    ]


def _web_secret(s: Session, action: Any) -> Any:
    """The action, which must be a web action; its ``require-whisk-auth`` secret if any."""
    path = f"/namespaces/{action.namespace}/actions/{action.path}"
    full = f"/{action.namespace}/{action.entity}"
    try:
        doc = s.client.request("GET", path, query={"code": "false"}).body
    except ApiError as exc:
        exc.context = f"Unable to get action '{full}'"
        raise
    notes = doc.get("annotations")
    if annotation_value(notes, "web-export") not in (True, "true", "yes"):
        raise InvalidArgument(
            f"Action '{full}' is not a web action. Issue 'wsk action update \"{full}\" "
            "--web true' to convert the action to a web action."
        )
    secret = annotation_value(notes, "require-whisk-auth")
    return secret if secret not in (None, False, True) else None


def _route_apidoc(
    s: Session, args: tuple[str, ...], apiname: str | None, response_type: str
) -> tuple[dict[str, Any], str]:
    """The apidoc of ``[BASE_PATH] API_PATH API_VERB ACTION`` (commands/api.go parseApi)."""
    base_path, name_is_base = "/", False
    if len(args) == 4:
        base_path, args = args[0], args[1:]
        name_is_base = not base_path.startswith("/")
        if path_parameters(base_path):
            raise InvalidArgument(
                f"The base path '{base_path}' cannot have parameters. Only the relative path "
                "supports path parameters."
            )
    relpath = _check_path(args[0])
    params = path_parameters(relpath)
    if params and response_type != "http":
        raise InvalidArgument("A response type of 'http' is required when using path parameters.")
    verb = _check_verb(args[1])
    action = parse_name(args[2], s.namespace)
    if apiname and name_is_base:
        raise InvalidArgument("An API name can only be specified once.")
    secret = _web_secret(s, action)
    package = action.package or "default"
    doc: dict[str, Any] = {
        "namespace": s.namespace,
        "gatewayBasePath": base_path,
        "gatewayPath": relpath,
        "gatewayMethod": verb,
        "action": {
            "name": action.entity,
            "namespace": action.namespace,
            "backendMethod": verb,
            "backendUrl": (
                f"{s.config.base_url}/api/v1/web/{action.namespace}/{package}/{action.name}.http"
            ),
            "authkey": s.config.auth,
        },
    }
    if apiname:
        doc["apiName"] = apiname
    if not name_is_base:
        doc["id"] = f"API:{s.namespace}:{base_path}"
    if params:
        doc["pathParameters"] = params
    if secret is not None:
        doc["action"]["secureKey"] = secret
    return doc, f"/{action.namespace}/{action.entity}"


def _swagger_apidoc(s: Session, config_file: str) -> dict[str, Any]:
    path = Path(config_file)
    try:
        text = path.read_text()
    except OSError as exc:
        raise InvalidArgument(f"Error reading swagger file '{config_file}': {exc}") from exc
    try:
        if path.suffix in (".yaml", ".yml"):
            swagger = yaml.safe_load(text)
        else:
            swagger = json.loads(text)
    except (ValueError, yaml.YAMLError) as exc:
        raise InvalidArgument(f"Error parsing swagger file '{config_file}': {exc}") from exc
    if (
        not isinstance(swagger, dict)
        or not all(
            swagger.get(k) is not None and swagger.get(k) != ""
            for k in ("basePath", "swagger", "info")
        )
        or swagger.get("paths") is None
    ):
        raise InvalidArgument(
            "Swagger file is invalid (missing basePath, info, paths, or swagger fields)"
        )
    if not str(swagger["basePath"]).startswith("/"):
        raise InvalidArgument("Swagger file basePath must start with a leading slash (/)")
    return {"namespace": s.namespace, "swagger": json.dumps(swagger)}


def _action_of(op: dict[str, Any]) -> str:
    ow = op.get("x-openwhisk")
    if not isinstance(ow, dict):
        return ""
    if ow.get("package"):
        return f"/{ow.get('namespace')}/{ow.get('package')}/{ow.get('action')}"
    return f"/{ow.get('namespace')}/{ow.get('action')}"


def _operations(doc: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """(relpath, method, operation) in the document's order."""
    found: list[tuple[str, str, dict[str, Any]]] = []
    for relpath, item in (doc.get("paths") or {}).items():
        for method in METHODS:
            op = (item or {}).get(method)
            if isinstance(op, dict):
                found.append((relpath, method, op))
    return found


@api.command("create")
@click.argument("args", nargs=-1)
@click.option(
    "-n",
    "--apiname",
    metavar="API_NAME",
    help="Friendly name of the API; ignored when CFG_FILE is specified (default BASE_PATH).",
)
@click.option(
    "-c",
    "--config-file",
    metavar="CFG_FILE",
    help="CFG_FILE containing API configuration in swagger JSON format.",
)
@click.option(
    "--response-type",
    "response_type",
    default="json",
    show_default=True,
    type=click.Choice(RESPONSE_TYPES, case_sensitive=False),
    help="Set the web action response TYPE.",
)
@click.pass_context
def create(
    ctx: click.Context,
    args: tuple[str, ...],
    apiname: str | None,
    config_file: str | None,
    response_type: str,
) -> None:  # fmt: skip
    """Create an API: ([BASE_PATH] API_PATH API_VERB ACTION | --config-file CFG_FILE)."""
    s = session(ctx)
    response_type = response_type.lower()
    fq_action = ""
    if not args and not config_file:
        raise InvalidArgument(CREATE_USAGE)
    if args:
        if not 3 <= len(args) <= 4:
            raise InvalidArgument(CREATE_USAGE)
        apidoc, fq_action = _route_apidoc(s, args, apiname, response_type)
    else:
        assert config_file is not None
        apidoc = _swagger_apidoc(s, config_file)
    query = {**_user_query(s), "responsetype": response_type}
    with calling("create API"):
        answer = s.client.request("POST", f"{MGMT}/createApi.http", query=query,
                                  body={"apidoc": apidoc}).body  # fmt: skip
    base_url = str(answer.get("gwApiUrl", "")).rstrip("/")
    if "swagger" not in apidoc:
        base = str(apidoc["gatewayBasePath"]).rstrip("/")
        ok(f"created API {base}{apidoc['gatewayPath']} {apidoc['gatewayMethod']} "
           f"for action {bold(fq_action)}")  # fmt: skip
        click.echo(f"{base_url}{apidoc['gatewayPath']}")
        return
    doc = answer.get("apidoc") or {}
    base = str(doc.get("basePath", "")).rstrip("/")
    for relpath, method, op in _operations(doc):
        name = _action_of(op)
        suffix = f" for action {bold(name)}" if name else ""
        ok(f"created API {base}{relpath} {method}{suffix}")
        click.echo(f"{base_url}{relpath}")


def _get(s: Session, base_or_name: str, **query: str) -> list[dict[str, Any]]:
    body = s.client.request(
        "GET", f"{MGMT}/getApi.http", query={**_user_query(s), "basepath": base_or_name, **query}
    ).body
    return [a.get("value") or {} for a in (body or {}).get("apis") or []]


@api.command("get")
@click.argument("base_or_name", metavar="BASE_PATH | API_NAME")
@click.option("-f", "--full", is_flag=True, help="Display full API configuration details.")
@click.option(
    "--format",
    "fmt",
    default="json",
    show_default=True,
    help="Specify the API output TYPE, either json or yaml.",
)
@click.pass_context
def get(ctx: click.Context, base_or_name: str, full: bool, fmt: str) -> None:  # fmt: skip
    """Get API details: its OpenAPI (swagger 2.0) document."""
    if fmt.lower() not in ("json", "yaml"):
        raise InvalidArgument(f"Invalid format type: {fmt}")
    s = session(ctx)
    with calling(f"get API '{base_or_name}'"):
        apis = _get(s, base_or_name)
    shown = (apis[0] if full else apis[0].get("apidoc")) if apis else None
    if not shown:
        raise InvalidArgument(f"API does not exist for basepath {base_or_name}")
    if fmt.lower() == "yaml":
        click.echo(yaml.safe_dump(shown, sort_keys=True))
    else:
        show_json(shown)


@api.command("delete")
@click.argument("base_or_name", metavar="BASE_PATH | API_NAME")
@click.argument("relpath", metavar="[API_PATH", required=False)
@click.argument("verb", metavar="[API_VERB]]", required=False)
@click.pass_context
def delete(ctx: click.Context, base_or_name: str, relpath: str | None, verb: str | None) -> None:
    """Delete an API, one of its paths, or one operation."""
    s = session(ctx)
    query = {**_user_query(s), "basepath": base_or_name}
    if relpath:
        query["relpath"] = _check_path(relpath)
    if verb:
        query["operation"] = _check_verb(verb)
    with calling("delete API"):
        s.client.request("DELETE", f"{MGMT}/deleteApi.http", query=query)
    if relpath and verb:
        ok(f"deleted {relpath} {verb.upper()} from {base_or_name}")
    elif relpath:
        ok(f"deleted {relpath} from {base_or_name}")
    else:
        ok(f"deleted API {base_or_name}")


def _rows(
    apis: list[dict[str, Any]], relpath: str | None, verb: str | None
) -> list[dict[str, str]]:
    rows: list[dict[str, str]] = []
    for value in apis:
        doc = value.get("apidoc") or {}
        base_url = str(value.get("gwApiUrl", "")).rstrip("/")
        title = str((doc.get("info") or {}).get("title", ""))
        for path, method, op in _operations(doc):
            if (relpath and path != relpath) or (verb and method != verb.lower()):
                continue
            rows.append({
                "action": _action_of(op), "verb": method, "name": title,
                "base": str(doc.get("basePath", "")), "path": path, "url": base_url + path,
            })  # fmt: skip
    return rows


@api.command("list")
@click.argument("base_or_name", metavar="[[BASE_PATH | API_NAME]", required=False)
@click.argument("relpath", metavar="[API_PATH", required=False)
@click.argument("verb", metavar="[API_VERB]]", required=False)
@click.option("-s", "--skip", type=int, default=0, show_default=True, help="Skip this many.")
@click.option("-l", "--limit", type=int, default=30, show_default=True, help="At most this many.")
@click.option("-n", "--name-sort", is_flag=True, help="Sort by base path, path, then verb.")
@click.option("-f", "--full", is_flag=True, help="Display full description of each API.")
@click.pass_context
def list_apis(
    ctx: click.Context,
    base_or_name: str | None,
    relpath: str | None,
    verb: str | None,
    skip: int,
    limit: int,
    name_sort: bool,
    full: bool,
) -> None:  # fmt: skip
    """List APIs (of one API, path or operation)."""
    s = session(ctx)
    if relpath:
        _check_path(relpath)
    if verb:
        _check_verb(verb)
    with calling("obtain the API list"):
        if base_or_name:
            apis = _get(s, base_or_name)
        else:
            apis = _get(s, "", limit=str(limit), skip=str(skip))
    rows = _rows(apis, relpath, verb)
    if name_sort:
        rows.sort(key=lambda r: f"{r['base']}{r['path']}{r['verb']}".lower())
    ok("APIs")
    if full:
        for r in rows:
            click.echo(
                f"Action: {r['action']}\n   API Name: {r['name']}\n   Base path: {r['base']}\n"
                f"   Path: {r['path']}\n   Verb: {r['verb']}\n   URL: {r['url']}"
            )
        if not rows:
            click.echo("")
        return
    width = min(40, max(len("Action"), *(len(r["action"]) for r in rows))) if rows else 30
    name_width = min(30, max(len("API Name"), *(len(r["name"]) for r in rows))) + 1 if rows else 20
    line = f"{{:<{width}}} {{:>7}} {{:>{name_width}}}  {{}}"
    click.echo(bold(line.format("Action", "Verb", "API Name", "URL")))
    for r in rows:
        click.echo(
            line.format(r["action"][:width], r["verb"], r["name"][: name_width - 1], r["url"])
        )
