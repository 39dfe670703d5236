"""``whisk namespace list|get|usage`` and ``whisk list``: the namespace, everything in it, and
what its activations were metered at."""

from __future__ import annotations

from typing import Any

import click

from cli.command import Session, WhiskCommand, calling, json_option, noun, session
from cli.names import namespace_path
from cli.output import (
    action_row,
    package_row,
    show_json,
    show_list,
    trigger_row,
    usage_table,
    usage_window,
)
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


@namespace.command("usage")
@click.option("--since", type=int, help="From the hour holding this time (epoch ms).")
@click.option("--upto", type=int, help="To the hour holding this time (epoch ms).")
@click.option("-r", "--json", "as_json", is_flag=True, help="Print the API's JSON as it is.")
@click.pass_context
def usage(ctx: click.Context, since: int | None, upto: int | None, as_json: bool) -> None:
    """Show the namespace's metered usage (activations, billed ms, GB-seconds, cold starts,
    errors), per action and in total, over the hours overlapping [--since, --upto]."""
    s = session(ctx)
    with calling("obtain the usage of the namespace", "get", "namespace"):
        report = s.client.request(
            "GET", f"{namespace_path('_')}/usage", query={"since": since, "upto": upto}
        ).body
    if as_json:
        show_json(report)
        return
    click.echo(f"Usage of namespace {report['namespace']} ({usage_window(since, upto)})")
    rows = [(a["name"], a) for a in report["actions"]]
    for line in usage_table("action", rows, report):
        click.echo(line)
