"""Invoking an action and printing the outcome as wsk does (shared by ``action invoke``).

Non-blocking: ``ok: invoked /NS/NAME with id ID``. Blocking: that line and the activation (keys
sorted), or with ``-r`` the result alone. An application or developer error (HTTP 502) prints
the activation (or result) on stderr and exits 246; a blocking call the server stopped waiting
for prints ``ok: invoked ..., but the request has not yet finished, with id ID`` on stderr and
exits 202."""

from __future__ import annotations

from typing import Any

import click

from cli.client import Response
from cli.command import Session
from cli.output import ok, show_json

APPLICATION_ERROR_EXIT = 502 - 256
NOT_FINISHED_EXIT = 202


def activation_id_of(resp: Response) -> str:
    if isinstance(resp.body, dict) and isinstance(resp.body.get("activationId"), str):
        return str(resp.body["activationId"])
    for key, value in resp.headers.items():
        if key.lower() == "x-openwhisk-activation-id":
            return value
    return ""


def invoke_and_show(
    ctx: click.Context,
    s: Session,
    path: str,
    shown: str,
    payload: dict[str, Any],
    blocking: bool,
    result_only: bool,
) -> None:
    resp = s.client.request(
        "POST",
        path,
        query={"blocking": blocking, "result": result_only},
        body=payload,
        accept=(502,),
    )
    activation_id = activation_id_of(resp)
    if resp.status == 502:
        show_json(resp.body, sort_keys=True, err=True)
        ctx.exit(APPLICATION_ERROR_EXIT)
    if not blocking:
        ok(f"invoked {shown} with id {activation_id}")
        return
    if resp.status == 202:
        click.echo(
            f"ok: invoked {shown}, but the request has not yet finished, with id {activation_id}",
            err=True,
        )
        ctx.exit(NOT_FINISHED_EXIT)
    if not result_only:
        ok(f"invoked {shown} with id {activation_id}")
    show_json(resp.body, sort_keys=True)
