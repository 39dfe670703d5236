"""``whisk admin``: subjects, namespaces, keys, limits and usage, straight against the database
(like OpenWhisk's ``wskadmin``). Uses ``WHISK_DB_URL`` (default: SQLite under ~/.whisk)."""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any, TypeVar

import click

from cli.output import usage_table, usage_window
from whisk.entities.identity import AuthKey, hash_secret
from whisk.entities.namespace_limits import OVERRIDE_KEYS, check_overrides
from whisk.errors import WhiskError
from whisk.store import default_db_url, open_store
from whisk.store.identities import create_identity
from whisk.store.ports import Identity, Store
from whisk.usage import hours_overlapping, usage_reports

T = TypeVar("T")


def _run(work: Callable[[Store], Awaitable[T]]) -> T:
    async def main() -> T:
        persistence = await open_store(default_db_url(os.environ))
        try:
            return await work(persistence.store)
        finally:
            await persistence.close()

    try:
        return asyncio.run(main())
    except WhiskError as exc:
        raise click.ClickException(exc.message) from exc


async def existing(store: Store, namespace: str) -> Identity:
    ident = await store.get_identity(namespace)
    if ident is None:
        raise click.ClickException(f"namespace '{namespace}' does not exist")
    return ident


def _change(namespace: str, **changes: Any) -> Identity:
    """Replace fields of NAMESPACE's identity; returns the updated identity."""

    async def work(store: Store) -> Identity:
        updated = replace(await existing(store, namespace), **changes)
        await store.update_identity(updated)
        return updated

    return _run(work)


@click.group()
def admin() -> None:
    """Operator commands against the database (like wskadmin)."""


@admin.group()
def user() -> None:
    """Subjects, their namespaces and keys."""


@user.command("create")
@click.argument("subject")
@click.option("-ns", "--namespace", help="Namespace to create (default: same as the subject).")
@click.option("-u", "--auth", "auth", help="Use this uuid:key instead of generating one.")
def user_create(subject: str, namespace: str | None, auth: str | None) -> None:
    """Create SUBJECT with a namespace and print its new key (uuid:key) as the last line."""
    given = AuthKey.parse(auth) if auth else None
    key = _run(lambda s: create_identity(s, subject, namespace or subject, given))
    click.echo(str(key))


@user.command("list")
@click.argument("subject", required=False)
def user_list(subject: str | None) -> None:
    """List identities (subject, namespace, uuid), of one SUBJECT or of all."""
    identities = _run(lambda s: s.list_identities(subject))
    for ident in identities:
        flag = "  (blocked)" if ident.blocked else ""
        click.echo(f"{ident.subject}\t{ident.namespace}\t{ident.uuid}{flag}")


@user.command("get")
@click.argument("namespace")
def user_get(namespace: str) -> None:
    """Show the identity holding NAMESPACE (never its secret: only a hash is stored)."""

    ident = _run(lambda store: existing(store, namespace))
    click.echo(
        json.dumps(
            {
                "subject": ident.subject,
                "namespace": ident.namespace,
                "uuid": ident.uuid,
                "blocked": ident.blocked,
                "limits": ident.limits,
            },
            indent=2,
        )
    )


@user.command("delete")
@click.argument("subject")
@click.option("-ns", "--namespace", help="Delete only this namespace of the subject.")
def user_delete(subject: str, namespace: str | None) -> None:
    """Delete SUBJECT's identities (or just one namespace). Entities stay in the database."""

    async def work(store: Store) -> int:
        identities = [
            i
            for i in await store.list_identities(subject)
            if namespace is None or i.namespace == namespace
        ]
        if not identities:
            raise click.ClickException(f"subject '{subject}' has no such namespace")
        for ident in identities:
            await store.delete_identity(ident.namespace)
        return len(identities)

    click.echo(f"deleted {_run(work)} namespace(s) of {subject}")


@user.command("rotate-key")
@click.argument("namespace")
def user_rotate_key(namespace: str) -> None:
    """Give NAMESPACE a fresh key; the old one stops working. Prints the new key last."""

    key = AuthKey.generate()
    _change(namespace, uuid=key.uuid, key_hash=hash_secret(key.secret))
    click.echo(str(key))


def _set_blocked(namespace: str, blocked: bool) -> None:
    _change(namespace, blocked=blocked)


@user.command("block")
@click.argument("namespace")
def user_block(namespace: str) -> None:
    """Refuse every request made with NAMESPACE's key."""
    _set_blocked(namespace, True)
    click.echo(f"blocked {namespace}")


@user.command("unblock")
@click.argument("namespace")
def user_unblock(namespace: str) -> None:
    _set_blocked(namespace, False)
    click.echo(f"unblocked {namespace}")


@admin.group()
def limits() -> None:
    """Per-namespace limit overrides."""


def _limit_options(func: Callable[..., Any]) -> Callable[..., Any]:
    for key, kind in reversed(list(OVERRIDE_KEYS.items())):
        if kind is int:
            func = click.option(f"--{key}", key, type=int, default=None)(func)
        elif kind is bool:
            func = click.option(f"--{key}", key, type=bool, default=None)(func)
        else:
            func = click.option(f"--{key}", key, default=None, help="Comma-separated list.")(func)
    return func


@limits.command("set")
@click.argument("namespace")
@_limit_options
def limits_set(namespace: str, **values: Any) -> None:
    """Set limit overrides for NAMESPACE (others are kept)."""
    given = {
        k: (v.split(",") if k == "allowedKinds" else v) for k, v in values.items() if v is not None
    }
    if not given:
        raise click.UsageError("give at least one limit, e.g. --invocationsPerMinute 120")

    checked = check_overrides(given)
    current = _run(lambda store: existing(store, namespace))
    updated = _change(namespace, limits={**current.limits, **checked})
    click.echo(json.dumps(updated.limits, indent=2))


@limits.command("get")
@click.argument("namespace")
def limits_get(namespace: str) -> None:
    click.echo(json.dumps(_run(lambda store: existing(store, namespace)).limits, indent=2))


@limits.command("delete")
@click.argument("namespace")
def limits_delete(namespace: str) -> None:
    """Remove NAMESPACE's overrides: the system defaults apply again."""

    _change(namespace, limits={})
    click.echo(f"limits of {namespace} reset to the system defaults")


@admin.command("usage")
@click.option("--since", type=int, help="From the hour holding this time (epoch ms).")
@click.option("--upto", type=int, help="To the hour holding this time (epoch ms).")
@click.option("-r", "--json", "as_json", is_flag=True, help="Print JSON: one report per namespace.")
def usage(since: int | None, upto: int | None, as_json: bool) -> None:
    """List the metered usage of every namespace over the hours overlapping [--since, --upto]
    (the per-action figures are in --json)."""
    if since is not None and upto is not None and since > upto:
        raise click.UsageError("--since is after --upto")
    first, last = hours_overlapping(since, upto)
    reports = usage_reports(_run(lambda store: store.list_usage(None, first, last)), since, upto)
    if as_json:
        click.echo(json.dumps(reports, indent=2))
        return
    click.echo(f"Usage of every namespace ({usage_window(since, upto)})")
    totals = {
        key: sum(r[key] for r in reports)
        for key in ("activations", "billedMs", "gbSeconds", "coldStarts", "errors")
    }
    for line in usage_table("namespace", [(r["namespace"], r) for r in reports], totals):
        click.echo(line)
