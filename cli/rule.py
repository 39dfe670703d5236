"""``whisk rule create|update|enable|disable|status|get|delete|list``."""

from __future__ import annotations

from typing import Any

import click

from cli.command import Session, calling, fetch_page, json_option, list_options, noun, session
from cli.names import QualifiedName, namespace_path, parse_name
from cli.output import ok, ordered, present_list, rule_row, show_json
from whisk.errors import InvalidArgument

rule = noun("rule", "Work with rules.")

RULE_KEYS = (
    "namespace",
    "name",
    "version",
    "status",
    "trigger",
    "action",
    "publish",
    "annotations",
    "updated",
)


def _rule(name: str, s: Session) -> QualifiedName:
    return parse_name(name, s.namespace, allow_package=False)


def _path(qn: QualifiedName) -> str:
    return f"{namespace_path(qn.namespace)}/rules/{qn.path}"


def _put(ctx: click.Context, name: str, trigger_name: str, action_name: str, update: bool) -> None:
    s = session(ctx)
    qn = _rule(name, s)
    verb = "update" if update else "create"
    body = {
        "trigger": str(parse_name(trigger_name, s.namespace, allow_package=False)),
        "action": str(parse_name(action_name, s.namespace)),
    }
    with calling(f"{verb} rule '{qn.name}'", verb, "rule"):
        s.client.request("PUT", _path(qn), query={"overwrite": update}, body=body)
    ok(f"{verb}d rule {qn.name}")


@rule.command("create")
@click.argument("name")
@click.argument("trigger_name", metavar="TRIGGER")
@click.argument("action_name", metavar="ACTION")
@click.pass_context
def create(ctx: click.Context, name: str, trigger_name: str, action_name: str) -> None:
    """Create rule NAME: when TRIGGER fires, invoke ACTION (the rule starts active)."""
    _put(ctx, name, trigger_name, action_name, update=False)


@rule.command("update")
@click.argument("name")
@click.argument("trigger_name", metavar="TRIGGER")
@click.argument("action_name", metavar="ACTION")
@click.pass_context
def update(ctx: click.Context, name: str, trigger_name: str, action_name: str) -> None:
    """Update rule NAME (created when missing)."""
    _put(ctx, name, trigger_name, action_name, update=True)


def _set_status(ctx: click.Context, name: str, status: str, verb: str) -> None:
    s = session(ctx)
    qn = _rule(name, s)
    with calling(f"{verb[:-1]} rule '{qn.name}'", verb, "rule"):
        s.client.request("POST", _path(qn), body={"status": status})
    ok(f"{verb} rule {qn.name}")


@rule.command("enable")
@click.argument("name")
@click.pass_context
def enable(ctx: click.Context, name: str) -> None:
    """Enable rule NAME."""
    _set_status(ctx, name, "active", "enabled")


@rule.command("disable")
@click.argument("name")
@click.pass_context
def disable(ctx: click.Context, name: str) -> None:
    """Disable rule NAME."""
    _set_status(ctx, name, "inactive", "disabled")


def _get(s: Session, qn: QualifiedName) -> dict[str, Any]:
    with calling(f"get rule '{qn.name}'", "get", "rule"):
        return s.client.request("GET", _path(qn)).body  # type: ignore[no-any-return]


@rule.command("status")
@click.argument("name")
@json_option
@click.pass_context
def status(ctx: click.Context, name: str, as_json: bool) -> None:
    """Show whether rule NAME is active."""
    s = session(ctx)
    qn = _rule(name, s)
    doc = _get(s, qn)
    if as_json:
        show_json({"status": doc.get("status")})
    else:
        ok(f"rule {qn.name} is {doc.get('status')}")


@rule.command("get")
@click.argument("name")
@click.argument("field", required=False)
@click.option("-s", "--summary", is_flag=True, help="Summarise the rule.")
@json_option
@click.pass_context
def get(ctx: click.Context, name: str, field: str | None, summary: bool, as_json: bool) -> None:
    """Show rule NAME (or one FIELD of it)."""
    s = session(ctx)
    qn = _rule(name, s)
    doc = _get(s, qn)
    if as_json:
        show_json(doc)
    elif summary:
        click.echo(f"rule /{doc.get('namespace')}/{doc.get('name')}")
        click.echo(f"   (status: {doc.get('status')})")
    elif field:
        if field not in doc:
            raise InvalidArgument(f"Invalid field filter '{field}'.")
        ok(f"got rule {qn.name}, displaying field {field}")
        show_json(doc[field])
    else:
        ok(f"got rule {qn.name}")
        show_json(ordered(doc, RULE_KEYS))


@rule.command("delete")
@click.argument("name")
@click.option("--disable", "disable_first", is_flag=True, help="Disable it first.")
@click.pass_context
def delete(ctx: click.Context, name: str, disable_first: bool) -> None:
    """Delete rule NAME."""
    s = session(ctx)
    qn = _rule(name, s)
    with calling(f"delete rule '{qn.name}'", "delete", "rule"):
        if disable_first:
            s.client.request("POST", _path(qn), body={"status": "inactive"})
        s.client.request("DELETE", _path(qn))
    ok(f"deleted rule {qn.name}")


def rule_rows(s: Session, rules: list[dict[str, Any]]) -> list[str]:
    """One row per rule, with its status read from the rule itself (the list has none)."""
    rows = []
    for doc in rules:
        qn = QualifiedName(str(doc.get("namespace") or s.namespace), str(doc.get("name")))
        rows.append(rule_row(doc, str(_get(s, qn).get("status", ""))))
    return rows


def list_rules_json(s: Session, skip: int, limit: int) -> list[dict[str, Any]]:
    return fetch_page(s, "rule", f"{namespace_path(s.namespace)}/rules", skip, limit)


@rule.command("list")
@list_options
@click.pass_context
def list_rules(ctx: click.Context, skip: int, limit: int, name_sort: bool, as_json: bool) -> None:
    """List the rules of the namespace, with their status."""
    s = session(ctx)
    present_list(
        list_rules_json(s, skip, limit), header="rules", as_json=as_json, name_sort=name_sort,
        render=lambda rs: rule_rows(s, rs),
    )  # fmt: skip
