"""``whisk namespace list|get`` and ``whisk list``: the namespace and everything in it."""

from __future__ import annotations

from typing import Any

import click

from cli.command import Session, WhiskCommand, calling, json_option, noun, session
from cli.names import namespace_path
from cli.output import action_row, package_row, show_json, show_list, trigger_row
from cli.rule import rule_rows
from whisk.errors import InvalidArgument

namespace = noun("namespace", "Work with namespaces.")

COLLECTIONS = ("packages", "actions", "triggers", "rules")


@namespace.command("list")
@json_option
@click.pass_context
def list_namespaces(ctx: click.Context, as_json: bool) -> None:
    """List the namespaces of the key (one)."""
    s = session(ctx)
    with calling("obtain the list of available namespaces", "list", "namespace"):
        names = s.client.request("GET", "/namespaces").body
    if as_json:
        show_json(names)
    else:
        show_list("namespaces", (str(n) for n in names))


def _target(target: str | None, s: Session) -> str:
    name = target.strip("/") if target else s.namespace
    if not name or "/" in name:
        raise InvalidArgument(f"'{target}' is not a namespace: give NAMESPACE or /NAMESPACE.")
    return name


def show_entities(ctx: click.Context, target: str | None, as_json: bool) -> None:
    s = session(ctx)
    name = _target(target, s)
    found: dict[str, Any] = {}
    for collection in COLLECTIONS:
        with calling(f"obtain the list of {collection}", "list", collection[:-1]):
            found[collection] = s.client.request(
                "GET", f"{namespace_path(name)}/{collection}", query={"limit": 200}
            ).body
    if as_json:
        show_json(found)
        return
    click.echo(f"Entities in namespace: {'default' if name == '_' else name}")
    show_list("packages", (package_row(p) for p in found["packages"]))
    show_list("actions", (action_row(a) for a in found["actions"]))
    show_list("triggers", (trigger_row(t) for t in found["triggers"]))
    show_list("rules", rule_rows(s, found["rules"]))


@namespace.command("get")
@click.argument("target", metavar="[NAMESPACE]", required=False)
@json_option
@click.pass_context
def get(ctx: click.Context, target: str | None, as_json: bool) -> None:
    """List the packages, actions, triggers and rules of the namespace."""
    show_entities(ctx, target, as_json)


@click.command("list", cls=WhiskCommand)
@click.argument("target", metavar="[NAMESPACE]", required=False)
@json_option
@click.pass_context
def list_all(ctx: click.Context, target: str | None, as_json: bool) -> None:
    """List everything in the namespace (as 'namespace get')."""
    show_entities(ctx, target, as_json)
