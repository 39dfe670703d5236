"""``whisk action create|update|invoke|get|delete|list``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from cli.artifacts import ExecFlags, build_exec, saved_code
from cli.command import Session, calling, fetch_page, json_option, list_options, noun, session
from cli.invoke import invoke_and_show
from cli.names import QualifiedName, namespace_path, parse_name
from cli.options import annotation_opts, param_opts, with_options
from cli.output import ACTION_KEYS, action_row, ok, ordered, present_list, show_json
from cli.params import (
    annotation_value,
    collect,
    key_values,
    web_annotations,
    web_secure_annotation,
)
from whisk.errors import InvalidArgument

action = noun("action", "Work with actions.")  # cli.main adds ``run`` (cli.local)

action_opts = [
    click.option("--kind", help="Runtime kind (e.g. python:3.11, nodejs:default)."),
    click.option("--main", help="Entry point of the action."),
    click.option("--docker", metavar="IMAGE", help="Run this image (kind blackbox)."),
    click.option(
        "--native",
        is_flag=True,
        help="ACTION is an executable (a script with a shebang, or a .zip with an exec file), "
        "run in openwhisk/dockerskeleton.",
    ),
    click.option("--sequence", is_flag=True, help="ACTION is a comma-separated list of actions."),
    *param_opts,
    *annotation_opts,
    click.option("-t", "--timeout", type=int, help="Timeout limit in ms (default 60000)."),
    click.option("-m", "--memory", type=int, help="Memory limit in MB (default 256)."),
    click.option("-l", "--logsize", type=int, help="Log size limit in MB (default 10)."),
    click.option("-c", "--concurrency", type=int, help="Activations per container (default 1)."),
    click.option("--web", help="Web action: true|yes|raw|false|no."),
    click.option("--web-secure", metavar="SECRET", help="true (random), false, or a secret."),
]


def _limits(opts: dict[str, Any]) -> dict[str, int]:
    names = {
        "timeout": "timeout",
        "memory": "memory",
        "logsize": "logs",
        "concurrency": "concurrency",
    }
    return {wire: opts[flag] for flag, wire in names.items() if opts[flag] is not None}


def _web_enabled(s: Session, qn: QualifiedName, opts: dict[str, Any], update: bool) -> bool:
    if opts["web"] is not None:
        return web_annotations(opts["web"])["web-export"]  # type: ignore[no-any-return]
    if not update:
        return False
    with calling(f"get action '{qn.entity}'", "get", "action"):
        current = s.client.request(
            "GET", f"{namespace_path(qn.namespace)}/actions/{qn.path}", query={"code": False}
        ).body
    return bool(annotation_value(current.get("annotations"), "web-export", False))


def put_action(
    ctx: click.Context, name: str, artifact: str | None, opts: dict[str, Any], update: bool
) -> None:
    s = session(ctx)
    qn = parse_name(name, s.namespace)
    verb = "update" if update else "create"
    if not update and not artifact and not opts["docker"]:
        raise InvalidArgument("An action name and code artifact are required.")
    flags = ExecFlags(
        artifact, opts["kind"], opts["main"], opts["docker"], opts["sequence"], opts["native"]
    )
    body: dict[str, Any] = {}
    exec_ = build_exec(flags, s.namespace)
    if exec_ is not None:
        body["exec"] = exec_
    params = collect(opts["params"], opts["param_file"], "parameter")
    if params:
        body["parameters"] = key_values(params)
    notes = collect(opts["annotations"], opts["annotation_file"], "annotation")
    if opts["web"] is not None:
        notes.update(web_annotations(opts["web"]))
    if opts["web_secure"] is not None:
        notes.update(web_secure_annotation(opts["web_secure"], _web_enabled(s, qn, opts, update)))
    if notes:
        body["annotations"] = key_values(notes)
    if opts.get("del_annotation"):
        body["delAnnotations"] = list(opts["del_annotation"])
    limits = _limits(opts)
    if limits:
        body["limits"] = limits
    with calling(f"{verb} action '{qn.entity}'", verb, "action"):
        s.client.request(
            "PUT",
            f"{namespace_path(qn.namespace)}/actions/{qn.path}",
            query={"overwrite": update},
            body=body,
        )
    ok(f"{verb}d action {qn.entity}")


@action.command("create")
@click.argument("name")
@click.argument("artifact", required=False)
@with_options(action_opts)
@click.pass_context
def create(ctx: click.Context, /, name: str, artifact: str | None, **opts: Any) -> None:
    """Create action NAME from ARTIFACT (a file, an image with --docker, or a --sequence)."""
    put_action(ctx, name, artifact, opts, update=False)


@action.command("update")
@click.argument("name")
@click.argument("artifact", required=False)
@with_options(action_opts)
@click.option("--del-annotation", multiple=True, metavar="KEY", help="Remove an annotation.")
@click.pass_context
def update(ctx: click.Context, /, name: str, artifact: str | None, **opts: Any) -> None:
    """Update action NAME (created when missing); only the given parts change."""
    put_action(ctx, name, artifact, opts, update=True)


@action.command("invoke")
@click.argument("name")
@with_options(param_opts)
@click.option("-b", "--blocking", is_flag=True, help="Wait for the result.")
@click.option("-r", "--result", is_flag=True, help="Print only the result (implies -b).")
@click.pass_context
def invoke(
    ctx: click.Context,
    name: str,
    params: tuple[tuple[str, str], ...],
    param_file: str | None,
    blocking: bool,
    result: bool,
) -> None:
    """Invoke action NAME with parameters as its payload."""
    s = session(ctx)
    qn = parse_name(name, s.namespace)
    payload = collect(params, param_file, "parameter")
    path = f"{namespace_path(qn.namespace)}/actions/{qn.path}"
    with calling(f"invoke action '{qn.entity}'", "invoke", "action"):
        invoke_and_show(ctx, s, path, str(qn), payload, blocking or result, result)


def _summary(doc: dict[str, Any]) -> list[str]:
    description = annotation_value(doc.get("annotations"), "description")
    head = f"action /{doc.get('namespace')}/{doc.get('name')}"
    params = [p.get("key") for p in doc.get("parameters") or [] if isinstance(p, dict)]
    names = ", ".join(str(p) for p in params) if params else "none defined"
    return [f"{head}: {description}" if description else head, f"   (parameters: {names})"]


def action_url(base_url: str, doc: dict[str, Any]) -> str:
    namespace = str(doc.get("namespace", ""))
    ns, _, package = namespace.partition("/")
    if annotation_value(doc.get("annotations"), "web-export", False) is True:
        return f"{base_url}/api/v1/web/{ns}/{package or 'default'}/{doc.get('name')}"
    middle = f"{package}/" if package else ""
    return f"{base_url}/api/v1/namespaces/{ns}/actions/{middle}{doc.get('name')}"


@action.command("get")
@click.argument("name")
@click.argument("field", required=False)
@click.option("-s", "--summary", is_flag=True, help="Summarise the action.")
@click.option("-r", "--url", is_flag=True, help="Print the action's URL.")
@click.option("--save", is_flag=True, help="Save the action's code to NAME.<ext> here.")
@click.option("--save-as", metavar="FILE", help="Save the action's code to FILE.")
@json_option
@click.pass_context
def get(
    ctx: click.Context,
    name: str,
    field: str | None,
    summary: bool,
    url: bool,
    save: bool,
    save_as: str | None,
    as_json: bool,
) -> None:
    """Show action NAME (or one FIELD of it)."""
    s = session(ctx)
    qn = parse_name(name, s.namespace)
    with calling(f"get action '{qn.entity}'", "get", "action"):
        doc = s.client.request(
            "GET",
            f"{namespace_path(qn.namespace)}/actions/{qn.path}",
            query={"code": not (summary or url)},
        ).body
    if save or save_as:
        _save_code(doc, save_as)
    elif as_json:
        show_json(doc)
    elif summary:
        for line in _summary(doc):
            click.echo(line)
    elif url:
        ok(f"got action {qn.entity}")
        assert s.config.base_url is not None
        click.echo(action_url(s.config.base_url, doc))
    elif field:
        if field not in doc:
            raise InvalidArgument(f"Invalid field filter '{field}'.")
        ok(f"got action {qn.entity}, displaying field {field}")
        show_json(doc[field])
    else:
        ok(f"got action {qn.entity}")
        show_json(ordered(doc, ACTION_KEYS))


def _save_code(doc: dict[str, Any], save_as: str | None) -> None:
    """Write the action's code to a new file (wsk never overwrites one)."""
    exec_doc = doc.get("exec")
    default_name, code = saved_code(exec_doc if isinstance(exec_doc, dict) else {}, doc["name"])
    target = Path(save_as or default_name).absolute()
    try:
        with target.open("xb") as out:
            out.write(code)
    except FileExistsError:
        raise InvalidArgument(f"The file '{target}' already exists.") from None
    except OSError as exc:
        raise InvalidArgument(f"Cannot write '{target}': {exc.strerror}.") from exc
    ok(f"saved action code to {target}")


@action.command("delete")
@click.argument("name")
@click.pass_context
def delete(ctx: click.Context, name: str) -> None:
    """Delete action NAME."""
    s = session(ctx)
    qn = parse_name(name, s.namespace)
    with calling(f"delete action '{qn.entity}'", "delete", "action"):
        s.client.request("DELETE", f"{namespace_path(qn.namespace)}/actions/{qn.path}")
    ok(f"deleted action {qn.entity}")


def list_path(target: str | None, default_namespace: str) -> str:
    """``/namespaces/ns/actions`` or, for a package, ``.../actions/pkg/``."""
    if not target:
        return f"{namespace_path(default_namespace)}/actions"
    parts = target.strip("/").split("/")
    if target.startswith("/") and len(parts) == 1:
        return f"{namespace_path(parts[0])}/actions"
    qn = parse_name(target, default_namespace, allow_package=False)
    return f"{namespace_path(qn.namespace)}/actions/{qn.path}/"


@action.command("list")
@click.argument("target", metavar="[/NAMESPACE | PACKAGE]", required=False)
@list_options
@click.pass_context
def list_actions(
    ctx: click.Context, target: str | None, skip: int, limit: int, name_sort: bool, as_json: bool
) -> None:
    """List the actions of the namespace, or of one PACKAGE."""
    s = session(ctx)
    rows = fetch_page(s, "action", list_path(target, s.namespace), skip, limit)
    present_list(
        rows, header="actions", as_json=as_json, name_sort=name_sort,
        render=lambda rs: (action_row(a) for a in rs),
        sort_key=lambda a: (str(a.get("namespace")), str(a.get("name"))),
    )  # fmt: skip
