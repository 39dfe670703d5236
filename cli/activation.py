"""``whisk activation list|get|logs|result|poll|wait``."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

import click

from cli.command import Failure, Session, calling, json_option, noun, session
from cli.names import namespace_path
from cli.output import (
    ACTIVATION_KEYS,
    STATUS_FILTER,
    activation_table,
    ok,
    ordered,
    show_json,
    show_list,
    status_of,
)
from whisk.errors import InvalidArgument

activation = noun("activation", "Work with activations.")

PENDING = "pending"
EXIT_BY_STATUS = {
    "application error": 502 - 256,
    "action developer error": 502 - 256,
    "whisk internal error": 500 - 256,
}
NOT_FINISHED_EXIT = 202


def _base(s: Session) -> str:
    return f"{namespace_path(s.namespace)}/activations"


def _last_id(s: Session) -> str:
    with calling("obtain the list of activations", "list", "activation"):
        rows = s.client.request("GET", _base(s), query={"limit": 1}).body
    if not rows:
        raise Failure(
            "There are no activations yet.", "Invoke an action first ('whisk action invoke')."
        )
    return str(rows[0]["activationId"])


def _pick_id(s: Session, activation_id: str | None, last: bool) -> str:
    if last:
        return _last_id(s)
    if not activation_id:
        raise InvalidArgument("An activation ID is required (or --last for the newest one).")
    return activation_id


def _get(s: Session, activation_id: str, tail: str = "", pending: bool = False) -> Any:
    """The record (or its ``/logs``, ``/result``); a running activation is 404, as OpenWhisk,
    unless ``pending`` asks for Whisk's pending record."""
    query = {PENDING: True} if pending else None
    with calling(f"get activation '{activation_id}'", "get", "activation"):
        return s.client.request("GET", f"{_base(s)}/{activation_id}{tail}", query=query).body


def strip_log(line: str) -> str:
    """Drop the timestamp and stream (``<ts> stdout: text`` -> ``text``)."""
    for stream in (" stdout: ", " stderr: "):
        head, sep, text = line.partition(stream)
        if sep and " " not in head.strip():
            return text
    return line


last_option = click.option("-l", "--last", is_flag=True, help="Use the newest activation.")
pending_option = click.option(
    "--pending",
    is_flag=True,
    help="Include activations still running (Whisk's pending records; OpenWhisk has none).",
)


@activation.command("list")
@click.argument("name", required=False)
@click.option("-s", "--skip", type=int, default=0, show_default=True, help="Skip this many.")
@click.option("-l", "--limit", type=int, default=30, show_default=True, help="At most this many.")
@click.option("--since", type=int, help="Only activations started at or after (epoch ms).")
@click.option("--upto", type=int, help="Only activations started at or before (epoch ms).")
@click.option("-f", "--full", is_flag=True, help="Full records.")
@pending_option
@click.option(
    "--status",
    type=click.Choice(STATUS_FILTER),
    help="Only this outcome (filters the page the server returned).",
)
@json_option
@click.pass_context
def list_activations(
    ctx: click.Context,
    name: str | None,
    skip: int,
    limit: int,
    since: int | None,
    upto: int | None,
    full: bool,
    pending: bool,
    status: str | None,
    as_json: bool,
) -> None:
    """List activations, newest first (of one action NAME or PACKAGE/NAME when given).
    Running activations are left out, as OpenWhisk, unless --pending (or --status pending)."""
    s = session(ctx)
    query = {
        "limit": limit,
        "skip": skip,
        "since": since,
        "upto": upto,
        "docs": full or None,
        "name": name,
        PENDING: (pending or status == PENDING) or None,
    }
    with calling("obtain the list of activations", "list", "activation"):
        rows = s.client.request("GET", _base(s), query=query).body
    if status:
        rows = [r for r in rows if _status_word(r) == status]
    if as_json:
        show_json(rows)
    elif full:
        show_list("activations", [])
        for row in rows:
            show_json(ordered(row, ACTIVATION_KEYS))
    else:
        for line in activation_table(rows):
            click.echo(line)


def _status_word(row: dict[str, Any]) -> str:
    response = row.get("response")
    if isinstance(response, dict) and "status" in response:  # full record
        text = str(response["status"])
        return {
            "application error": "application-error",
            "action developer error": "developer-error",
            "whisk internal error": "internal-error",
        }.get(text, text)
    return status_of(row)


@activation.command("get")
@click.argument("activation_id", required=False)
@click.argument("field", required=False)
@last_option
@click.option("-s", "--summary", is_flag=True, help="Summarise the activation.")
@click.option("-g", "--logs", "logs_only", is_flag=True, help="Only the logs, stripped.")
@pending_option
@json_option
@click.pass_context
def get(
    ctx: click.Context,
    activation_id: str | None,
    field: str | None,
    last: bool,
    summary: bool,
    logs_only: bool,
    pending: bool,
    as_json: bool,
) -> None:
    """Show activation ACTIVATION_ID (or --last), or one FIELD of it."""
    s = session(ctx)
    if last and activation_id and not field:  # `get --last FIELD`
        activation_id, field = None, activation_id
    chosen = _pick_id(s, activation_id, last)
    doc = _get(s, chosen, pending=pending)
    if as_json:
        show_json(doc)
    elif logs_only:
        for line in doc.get("logs") or []:
            click.echo(strip_log(line))
    elif summary:
        response = doc.get("response") or {}
        when = datetime.fromtimestamp(int(doc.get("start", 0)) / 1000).strftime("%Y-%m-%d %H:%M:%S")
        click.echo(
            f"activation result for '/{doc.get('namespace')}/{doc.get('name')}' "
            f"({response.get('status')} at {when})"
        )
        show_json(response.get("result", {}), sort_keys=True)
    elif field:
        if field not in doc:
            raise InvalidArgument(f"Invalid field filter '{field}'.")
        ok(f"got activation {chosen}, displaying field {field}")
        show_json(doc[field])
    else:
        ok(f"got activation {chosen}")
        show_json(ordered(doc, ACTIVATION_KEYS))


@activation.command("logs")
@click.argument("activation_id", required=False)
@last_option
@click.option("-r", "--strip", is_flag=True, help="Drop timestamps and stream names.")
@pending_option
@json_option
@click.pass_context
def logs(
    ctx: click.Context,
    activation_id: str | None,
    last: bool,
    strip: bool,
    pending: bool,
    as_json: bool,
) -> None:
    """Print the logs of activation ACTIVATION_ID (or --last)."""
    s = session(ctx)
    body = _get(s, _pick_id(s, activation_id, last), "/logs", pending=pending)
    if as_json:
        show_json(body)
        return
    for line in body.get("logs") or []:
        click.echo(strip_log(line) if strip else line)


@activation.command("result")
@click.argument("activation_id", required=False)
@last_option
@pending_option
@json_option
@click.pass_context
def result(
    ctx: click.Context, activation_id: str | None, last: bool, pending: bool, as_json: bool
) -> None:
    """Print the result of activation ACTIVATION_ID (or --last)."""
    s = session(ctx)
    chosen = _pick_id(s, activation_id, last)
    body = _get(s, chosen, "/result", pending=pending)
    if as_json:
        show_json(body)
        return
    if body.get("status") == PENDING:
        raise Failure(
            f"Activation '{chosen}' has not finished yet.",
            f"Run 'whisk activation wait {chosen}' to wait for its result.",
        )
    show_json(body.get("result", {}), sort_keys=True)


@activation.command("wait")
@click.argument("activation_id")
@click.option("--timeout", type=float, default=60, show_default=True, help="Seconds to wait.")
@json_option
@click.pass_context
def wait(ctx: click.Context, activation_id: str, timeout: float, as_json: bool) -> None:
    """Wait until ACTIVATION_ID is no longer pending, then show it.

    Exits 0 on success, 246 on an application or developer error, 244 on a whisk internal
    error (as a blocking invoke), and 202 when it is still pending after --timeout seconds."""
    s = session(ctx)
    deadline = time.monotonic() + timeout
    delay = 0.2
    while True:
        doc = _get(s, activation_id, pending=True)
        status = (doc.get("response") or {}).get("status")
        if status != PENDING:
            break
        if time.monotonic() >= deadline:
            click.echo(
                f"error: Activation '{activation_id}' is still pending after {timeout:g} seconds.",
                err=True,
            )
            click.echo(f"Run 'whisk activation wait {activation_id}' again later.", err=True)
            ctx.exit(NOT_FINISHED_EXIT)
        time.sleep(min(delay, max(0.0, deadline - time.monotonic())))
        delay = min(delay * 2, 2.0)
    if as_json:
        show_json(doc)
    else:
        ok(f"got activation {activation_id}")
        show_json(ordered(doc, ACTIVATION_KEYS))
    code = EXIT_BY_STATUS.get(str(status), 0)
    if code:
        ctx.exit(code)


@activation.command("poll")
@click.argument("name", required=False)
@click.option("-e", "--exit", "exit_after", type=int, help="Stop after this many seconds.")
@click.option("--since-seconds", type=int, default=0, help="Start from this many seconds ago.")
@click.option("--since-minutes", type=int, default=0, help="Start from this many minutes ago.")
@click.option("--since-hours", type=int, default=0, help="Start from this many hours ago.")
@click.option("--since-days", type=int, default=0, help="Start from this many days ago.")
@click.pass_context
def poll(
    ctx: click.Context,
    name: str | None,
    exit_after: int | None,
    since_seconds: int,
    since_minutes: int,
    since_hours: int,
    since_days: int,
) -> None:
    """Print the logs of new activations as they arrive (Ctrl-C stops)."""
    s = session(ctx)
    back = since_seconds + 60 * since_minutes + 3600 * since_hours + 86400 * since_days
    since = int(time.time() * 1000) - back * 1000
    deadline = None if exit_after is None else time.monotonic() + exit_after
    click.echo("Enter Ctrl-c to exit.")
    click.echo("Polling for activation logs")
    seen: set[str] = set()
    try:
        while True:
            with calling("obtain the list of activations", "list", "activation"):
                rows = s.client.request(
                    "GET",
                    _base(s),
                    query={"docs": True, "since": since, "name": name, "limit": 200},
                ).body
            for row in reversed(rows):
                if row.get("activationId") in seen:
                    continue
                # ``since`` stays put: a record appears when its activation ends, which can be
                # after newer ones have ended, and its start is what ``since`` filters on
                seen.add(str(row.get("activationId")))
                click.echo(f"\nActivation: '{row.get('name')}' ({row.get('activationId')})")
                show_json(row.get("logs") or [])
            if deadline is not None and time.monotonic() >= deadline:
                return
            pause = 2.0 if deadline is None else min(2.0, max(0.0, deadline - time.monotonic()))
            time.sleep(pause)
    except KeyboardInterrupt:
        click.echo("\nPoll terminated")
        ctx.exit(1)
