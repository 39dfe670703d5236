"""The shell every wsk-like command shares: connection flags (on the group and on each leaf),
the client built from the settings, and errors rendered as wsk renders them.

Exit codes as wsk: 0 ok; 1 general; 2 usage; 3 network; HTTP status - 256 for API errors
(404 -> 148, 409 -> 153, 503 -> 247)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, NoReturn

import click

from cli import config as cfg
from cli.client import ApiError, Client, ConnectionFailed
from cli.hints import APIHOST_HINT, AUTH_HINT, UNREACHABLE_HINT, hint_for
from whisk.errors import InvalidArgument, WhiskError

FLAGS_KEY = "whisk.flags"
GLOBAL_FLAGS_NOTE = (
    "Connection flags (--apihost, -u/--auth, -i/--insecure, -d/--debug) go before the noun "
    "(whisk --apihost H action list) or after the command (whisk action list --apihost H)."
)


class Failure(WhiskError):
    """A failure the CLI itself detects, with the next step to take (exit 1 as wsk)."""

    def __init__(self, message: str, hint: str) -> None:
        super().__init__(message)
        self.hint = hint


def _remember(ctx: click.Context, param: click.Parameter, value: Any) -> None:
    if value:
        ctx.meta.setdefault(FLAGS_KEY, {})[param.name] = value


def _connection_specs() -> list[tuple[list[str], dict[str, Any]]]:
    common: dict[str, Any] = {"expose_value": False, "callback": _remember}
    return [
        (["--apihost"], {"metavar": "HOST", "help": "Whisk API host.", **common}),
        (["-u", "--auth"], {"metavar": "KEY", "help": "Authorization key (uuid:key).", **common}),
        (["-i", "--insecure"], {"is_flag": True, "help": "Skip TLS verification.", **common}),
        (["-d", "--debug"], {"is_flag": True, "help": "Print HTTP requests and responses.",
                             **common}),
    ]  # fmt: skip


def connection_params() -> list[click.Parameter]:
    return [click.Option(decls, **kwargs) for decls, kwargs in _connection_specs()]


def connection_options(f: Callable[..., Any]) -> Callable[..., Any]:
    """Add the connection flags to a group (their values land in ``ctx.meta``)."""
    for decls, kwargs in reversed(_connection_specs()):
        f = click.option(*decls, **kwargs)(f)
    return f


@dataclass(frozen=True)
class Session:
    config: cfg.Config
    client: Client

    @property
    def namespace(self) -> str:
        return self.config.namespace


def load_config(ctx: click.Context) -> cfg.Config:
    flags = ctx.meta.get(FLAGS_KEY, {})
    return cfg.load(os.environ, cfg.Flags(**flags))


def session(ctx: click.Context, *, auth: bool = True) -> Session:
    config = load_config(ctx)
    if not config.base_url:
        raise Failure("The API host is not configured.", APIHOST_HINT)
    if auth and not config.auth:
        raise Failure("The API key is not configured (--auth is required).", AUTH_HINT)

    def trace(text: str) -> None:
        click.echo(text, err=True)

    client = Client(config.base_url, config.auth, config.insecure, trace if config.debug else None)
    return Session(config, client)


@contextmanager
def calling(what: str, verb: str | None = None, noun: str | None = None) -> Iterator[None]:
    """Name the operation in API errors raised inside: ``Unable to <what>: <message>``."""
    try:
        yield
    except ApiError as exc:
        if exc.context is None:
            exc.context = f"Unable to {what}"
            exc.hint = hint_for(exc.status, verb, noun)
        raise


def error_exit(message: str, code: int, hint: str | None = None) -> NoReturn:
    click.echo(f"{click.style('error:', fg='red')} {message}", err=True)
    if hint:
        click.echo(hint, err=True)
    raise click.exceptions.Exit(code)


def render_failure(ctx: click.Context, exc: WhiskError) -> NoReturn:
    if isinstance(exc, ApiError):
        message = f"{exc.context}: {exc.message}" if exc.context else exc.message
        if exc.code:
            message += f" (code {exc.code})"
        hint = exc.hint or hint_for(exc.status, None, None)
        error_exit(message, (exc.status - 256) % 256, hint)
    if isinstance(exc, ConnectionFailed):
        error_exit(exc.message, 3, UNREACHABLE_HINT)
    if isinstance(exc, Failure):
        error_exit(exc.message, 1, exc.hint)
    if isinstance(exc, InvalidArgument):
        command = " ".join(["whisk", *ctx.command_path.split()[1:]])
        error_exit(exc.message, 2, f"Run '{command} --help' for usage.")
    error_exit(exc.message, 1)


class PlainCommand(click.Command):
    """A leaf command that renders Whisk errors as wsk does."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except WhiskError as exc:
            render_failure(ctx, exc)


class WhiskCommand(PlainCommand):
    """A leaf command that also accepts the connection flags."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.params.extend(connection_params())


class WhiskGroup(click.Group):
    """A wsk noun: its subcommands are ``WhiskCommand`` unless told otherwise."""

    command_class = WhiskCommand


def noun(name: str, help_text: str) -> WhiskGroup:
    return WhiskGroup(name=name, help=f"{help_text}\n\n{GLOBAL_FLAGS_NOTE}")


json_option = click.option(
    "--json", "as_json", is_flag=True, help="Print the API's JSON as it is (for scripts)."
)


def list_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """``--skip``, ``--limit``, ``--name-sort`` and ``--json``, as every wsk list has them."""
    for option in reversed(
        (
            click.option("-s", "--skip", type=int, default=0, show_default=True,
                         help="Skip this many."),
            click.option("-l", "--limit", type=int, default=30, show_default=True,
                         help="At most this many."),
            click.option("-n", "--name-sort", is_flag=True, help="Sort by name."),
            json_option,
        )
    ):  # fmt: skip
        func = option(func)
    return func


def fetch_page(s: Session, what: str, path: str, skip: int, limit: int) -> list[dict[str, Any]]:
    """One page of a collection (``what`` is the wsk noun: action, package, trigger...)."""
    with calling(f"obtain the list of {what}s", "list", what):
        return list(s.client.request("GET", path, query={"limit": limit, "skip": skip}).body)
