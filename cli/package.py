"""``whisk package create|update|bind|get|delete|list|refresh``."""

from __future__ import annotations

from typing import Any

import click

from cli.command import Session, calling, fetch_page, json_option, list_options, noun, session
from cli.names import QualifiedName, namespace_path, parse_name
from cli.options import annotation_opts, param_opts, with_options
from cli.output import ok, ordered, package_row, present_list, show_json
from cli.params import collect, key_values
from whisk.errors import InvalidArgument

package = noun("package", "Work with packages.")

PACKAGE_KEYS = (
    "namespace",
    "name",
    "version",
    "publish",
    "binding",
    "annotations",
    "parameters",
    "actions",
    "feeds",
    "updated",
)
SHARED = {"yes": True, "true": True, "no": False, "false": False}


def _package(name: str, s: Session) -> QualifiedName:
    return parse_name(name, s.namespace, allow_package=False)


def _path(qn: QualifiedName) -> str:
    return f"{namespace_path(qn.namespace)}/packages/{qn.path}"


def _body(opts: dict[str, Any]) -> dict[str, Any]:
    body: dict[str, Any] = {}
    params = collect(opts["params"], opts["param_file"], "parameter")
    if params:
        body["parameters"] = key_values(params)
    notes = collect(opts["annotations"], opts["annotation_file"], "annotation")
    if notes:
        body["annotations"] = key_values(notes)
    shared = opts.get("shared")
    if shared is not None:
        if shared.lower() not in SHARED:
            raise InvalidArgument(f"Invalid argument '{shared}' for --shared: use yes or no.")
        body["publish"] = SHARED[shared.lower()]
    return body


def _put(ctx: click.Context, name: str, opts: dict[str, Any], update: bool) -> None:
    s = session(ctx)
    qn = _package(name, s)
    verb = "update" if update else "create"
    with calling(f"{verb} package '{qn.name}'", verb, "package"):
        s.client.request("PUT", _path(qn), query={"overwrite": update}, body=_body(opts))
    ok(f"{verb}d package {qn.name}")


shared_opt = click.option("--shared", metavar="yes|no", help="Share the package with everyone.")


@package.command("create")
@click.argument("name")
@with_options([*param_opts, *annotation_opts, shared_opt])
@click.pass_context
def create(ctx: click.Context, /, name: str, **opts: Any) -> None:
    """Create package NAME."""
    _put(ctx, name, opts, update=False)


@package.command("update")
@click.argument("name")
@with_options([*param_opts, *annotation_opts, shared_opt])
@click.pass_context
def update(ctx: click.Context, /, name: str, **opts: Any) -> None:
    """Update package NAME (created when missing)."""
    _put(ctx, name, opts, update=True)


@package.command("bind")
@click.argument("target", metavar="PACKAGE")
@click.argument("name", metavar="BOUND_PACKAGE")
@with_options([*param_opts, *annotation_opts])
@click.option("-o", "--overwrite", is_flag=True, help="Replace an existing binding.")
@click.pass_context
def bind(ctx: click.Context, /, target: str, name: str, overwrite: bool, **opts: Any) -> None:
    """Bind BOUND_PACKAGE to PACKAGE, with its own default parameters."""
    s = session(ctx)
    qn = _package(name, s)
    bound = parse_name(target, s.namespace, allow_package=False)
    body = _body(opts)
    body["binding"] = {"namespace": bound.namespace, "name": bound.name}
    with calling(f"create binding '{qn.name}'", "bind", "binding"):
        s.client.request("PUT", _path(qn), query={"overwrite": overwrite}, body=body)
    ok(f"created binding {qn.name}")


def _summary(doc: dict[str, Any]) -> list[str]:
    params = [str(p.get("key")) for p in doc.get("parameters") or []]
    lines = [
        f"package /{doc.get('namespace')}/{doc.get('name')}",
        f"   (parameters: {', '.join(params) or 'none defined'})",
    ]
    for member in doc.get("actions") or []:
        lines.append(f" action /{doc.get('namespace')}/{doc.get('name')}/{member.get('name')}")
    for member in doc.get("feeds") or []:
        lines.append(f" feed   /{doc.get('namespace')}/{doc.get('name')}/{member.get('name')}")
    return lines


@package.command("get")
@click.argument("name")
@click.argument("field", required=False)
@click.option("-s", "--summary", is_flag=True, help="Summarise the package.")
@json_option
@click.pass_context
def get(ctx: click.Context, name: str, field: str | None, summary: bool, as_json: bool) -> None:
    """Show package NAME (or one FIELD of it)."""
    s = session(ctx)
    qn = _package(name, s)
    with calling(f"get package '{qn.name}'", "get", "package"):
        doc = s.client.request("GET", _path(qn)).body
    if as_json:
        show_json(doc)
    elif summary:
        for line in _summary(doc):
            click.echo(line)
    elif field:
        if field not in doc:
            raise InvalidArgument(f"Invalid field filter '{field}'.")
        ok(f"got package {qn.name}, displaying field {field}")
        show_json(doc[field])
    else:
        ok(f"got package {qn.name}")
        show_json(ordered(doc, PACKAGE_KEYS))


@package.command("delete")
@click.argument("name")
@click.pass_context
def delete(ctx: click.Context, name: str) -> None:
    """Delete package NAME (it must hold no actions)."""
    s = session(ctx)
    qn = _package(name, s)
    with calling(f"delete package '{qn.name}'", "delete", "package"):
        s.client.request("DELETE", _path(qn))
    ok(f"deleted package {qn.name}")


def list_path(target: str | None, default_namespace: str) -> str:
    namespace = target.strip("/") if target else default_namespace
    if "/" in namespace or not namespace:
        raise InvalidArgument(f"'{target}' is not a namespace: give /NAMESPACE.")
    return f"{namespace_path(namespace)}/packages"


@package.command("list")
@click.argument("target", metavar="[/NAMESPACE]", required=False)
@list_options
@click.pass_context
def list_packages(
    ctx: click.Context, target: str | None, skip: int, limit: int, name_sort: bool, as_json: bool
) -> None:
    """List the packages of the namespace (of another one: only its shared packages)."""
    s = session(ctx)
    rows = fetch_page(s, "package", list_path(target, s.namespace), skip, limit)
    present_list(
        rows, header="packages", as_json=as_json, name_sort=name_sort,
        render=lambda rs: (package_row(p) for p in rs),
    )  # fmt: skip


@package.command("refresh")
@click.argument("target", metavar="[/NAMESPACE]", required=False)
@click.pass_context
def refresh(ctx: click.Context, target: str | None) -> None:
    """Refresh provider-managed package bindings (Whisk has none)."""
    session(ctx)
    namespace = target.strip("/") if target else "_"
    ok(
        f"nothing to refresh in namespace {namespace}: Whisk has no provider-managed package "
        "bindings (bind packages yourself with 'whisk package bind')."
    )
