"""``whisk trigger create|update|fire|get|delete|list``, with OpenWhisk's client-driven feed
lifecycle: ``create --feed`` stores the trigger annotated ``feed`` and then invokes the feed
action (blocking) with ``lifecycleEvent: CREATE``, ``triggerName: /ns/name`` and ``authKey``;
if that fails the trigger is deleted again. ``delete`` of a feed trigger first invokes the feed
with ``lifecycleEvent: DELETE``."""

from __future__ import annotations

from typing import Any

import click

from cli.client import ApiError
from cli.command import Session, calling, fetch_page, json_option, list_options, noun, session
from cli.feeds import run_feed
from cli.invoke import activation_id_of
from cli.names import QualifiedName, namespace_path, parse_name
from cli.options import annotation_opts, param_opts, with_options
from cli.output import ok, ordered, present_list, show_json, trigger_row
from cli.params import annotation_value, collect, key_values, parse_value
from whisk.errors import InvalidArgument

trigger = noun("trigger", "Work with triggers.")

TRIGGER_KEYS = (
    "namespace",
    "name",
    "version",
    "annotations",
    "parameters",
    "limits",
    "publish",
    "rules",
    "updated",
)


def _path(qn: QualifiedName) -> str:
    return f"{namespace_path(qn.namespace)}/triggers/{qn.path}"


def _trigger_name(name: str, s: Session) -> QualifiedName:
    return parse_name(name, s.namespace, allow_package=False)


def put_trigger(ctx: click.Context, name: str, opts: dict[str, Any], update: bool) -> None:
    s = session(ctx)
    qn = _trigger_name(name, s)
    verb = "update" if update else "create"
    params = collect(opts["params"], opts["param_file"], "parameter")
    notes = collect(opts["annotations"], opts["annotation_file"], "annotation")
    feed = opts.get("feed")
    trigger_params = dict(collect(opts.get("trigger_params") or (), None, "parameter"))
    if feed:
        notes["feed"] = str(parse_name(feed, s.namespace))
    else:
        trigger_params.update(params)
    body: dict[str, Any] = {}
    if trigger_params:
        body["parameters"] = key_values(trigger_params)
    if notes:
        body["annotations"] = key_values(notes)
    with calling(f"{verb} trigger '{qn.name}'", verb, "trigger"):
        s.client.request("PUT", _path(qn), query={"overwrite": update}, body=body)
    if feed:
        try:
            run_feed(s, feed, "CREATE", qn, params)
        except ApiError as exc:
            s.client.request("DELETE", _path(qn), accept=(404,))
            exc.context = f"Unable to {verb} trigger '{qn.name}': {exc.context}"
            exc.hint = exc.hint or (
                "The trigger was removed again because its feed is not configured. "
                "Check the feed action ('whisk action get FEED') and retry."
            )
            raise
    ok(f"{verb}d trigger {qn.name}")


trigger_put_opts = [
    *param_opts,
    *annotation_opts,
    click.option("-f", "--feed", metavar="ACTION", help="Feed action (-p params go to it)."),
    click.option(
        "-T",
        "--trigger-param",
        "trigger_params",
        nargs=2,
        multiple=True,
        metavar="KEY VALUE",
        help="Parameter stored on a feed trigger itself.",
    ),
]


@trigger.command("create")
@click.argument("name")
@with_options(trigger_put_opts)
@click.pass_context
def create(ctx: click.Context, /, name: str, **opts: Any) -> None:
    """Create trigger NAME (with --feed: and register it with the feed)."""
    put_trigger(ctx, name, opts, update=False)


@trigger.command("update")
@click.argument("name")
@with_options([*param_opts, *annotation_opts])
@click.pass_context
def update(ctx: click.Context, /, name: str, **opts: Any) -> None:
    """Update trigger NAME (created when missing)."""
    put_trigger(ctx, name, opts, update=True)


@trigger.command("fire")
@click.argument("name")
@click.argument("payload", required=False)
@with_options(param_opts)
@click.pass_context
def fire(
    ctx: click.Context,
    name: str,
    payload: str | None,
    params: tuple[tuple[str, str], ...],
    param_file: str | None,
) -> None:
    """Fire trigger NAME with parameters (or a JSON PAYLOAD) as the event."""
    s = session(ctx)
    qn = _trigger_name(name, s)
    body = collect(params, param_file, "parameter")
    if payload:
        body = {**_payload(payload), **body}
    with calling(f"fire trigger '{qn.name}'", "fire", "trigger"):
        resp = s.client.request("POST", _path(qn), body=body)
    if resp.status == 204:
        ok(f"triggered {qn} (no active rule, so no activation)")
    else:
        ok(f"triggered {qn} with id {activation_id_of(resp)}")


def _payload(text: str) -> dict[str, Any]:
    value = parse_value(text)
    if not isinstance(value, dict):
        raise InvalidArgument("The PAYLOAD must be a JSON object.")
    return value


@trigger.command("get")
@click.argument("name")
@click.argument("field", required=False)
@click.option(
    "-s", "--summary", is_flag=True, help="Summarise the trigger, with its traffic counts."
)
@json_option
@click.pass_context
def get(ctx: click.Context, name: str, field: str | None, summary: bool, as_json: bool) -> None:
    """Show trigger NAME (or one FIELD of it)."""
    s = session(ctx)
    qn = _trigger_name(name, s)
    with calling(f"get trigger '{qn.name}'", "get", "trigger"):
        query = {"stats": "true"} if summary else None
        doc = s.client.request("GET", _path(qn), query=query).body
    if as_json:
        show_json(doc)
    elif summary:
        params = [p.get("key") for p in doc.get("parameters") or []]
        click.echo(f"trigger /{doc.get('namespace')}/{doc.get('name')}")
        click.echo(f"   (parameters: {', '.join(map(str, params)) or 'none defined'})")
        for label, key in (("last minute", "lastMinute"), ("last hour", "lastHour")):
            counts = (doc.get("stats") or {}).get(key)
            if counts:
                click.echo(
                    f"   ({label}: {counts.get('accepted', 0)} accepted, "
                    f"{counts.get('throttled', 0)} throttled, {counts.get('failed', 0)} failed)"
                )
    elif field:
        if field not in doc:
            raise InvalidArgument(f"Invalid field filter '{field}'.")
        ok(f"got trigger {qn.name}, displaying field {field}")
        show_json(doc[field])
    else:
        ok(f"got trigger {qn.name}")
        show_json(ordered(doc, TRIGGER_KEYS))


@trigger.command("delete")
@click.argument("name")
@click.pass_context
def delete(ctx: click.Context, name: str) -> None:
    """Delete trigger NAME (a feed trigger is first unregistered from its feed)."""
    s = session(ctx)
    qn = _trigger_name(name, s)
    with calling(f"delete trigger '{qn.name}'", "delete", "trigger"):
        doc = s.client.request("GET", _path(qn)).body
    feed = annotation_value(doc.get("annotations"), "feed")
    if isinstance(feed, str) and feed:
        try:
            run_feed(s, feed, "DELETE", qn, {})
        except ApiError as exc:
            if exc.status != 404:  # 404: the feed action is gone, nothing to unregister from
                _explain_kept(exc, qn)
                raise
    with calling(f"delete trigger '{qn.name}'", "delete", "trigger"):
        s.client.request("DELETE", _path(qn))
    ok(f"deleted trigger {qn.name}")


def _explain_kept(exc: ApiError, qn: QualifiedName) -> None:
    exc.context = f"Unable to delete trigger '{qn.name}': {exc.context}"
    kept = (
        "The trigger is kept so that its feed registration is not orphaned; retry when the "
        "feed action can run."
    )
    exc.hint = f"{exc.hint} {kept}" if exc.hint else kept


@trigger.command("list")
@list_options
@click.pass_context
def list_triggers(
    ctx: click.Context, skip: int, limit: int, name_sort: bool, as_json: bool
) -> None:
    """List the triggers of the namespace."""
    s = session(ctx)
    rows = fetch_page(s, "trigger", f"{namespace_path(s.namespace)}/triggers", skip, limit)
    present_list(
        rows, header="triggers", as_json=as_json, name_sort=name_sort,
        render=lambda rs: (trigger_row(t) for t in rs),
    )  # fmt: skip
