"""``whisk property set|unset|get``: the API host, key and namespace in ``~/.wskprops`` (or the
file ``WSK_CONFIG_FILE`` names)."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import click

from cli import config as cfg
from cli.client import Client
from cli.command import PlainCommand, calling, load_config
from standalone.wskprops import read_wskprops, render_wskprops, write_wskprops
from whisk.errors import InvalidArgument, WhiskError


class PropertyGroup(click.Group):
    command_class = PlainCommand


@click.group("property", cls=PropertyGroup)
def property_group() -> None:
    """Work with whisk properties (stored in ~/.wskprops or $WSK_CONFIG_FILE)."""


def _props_file(ctx: click.Context) -> Path:
    path = load_config(ctx).props_file
    if path is None:
        raise InvalidArgument(
            "WSK_CONFIG_FILE is set but empty: set it to a file path, or unset it to use "
            "~/.wskprops."
        )
    return path


@property_group.command("set")
@click.option("--apihost", help="Whisk API host (host[:port] or a URL).")
@click.option("-u", "--auth", help="Authorization key (uuid:key).")
@click.option("--namespace", help="Default namespace for unqualified names.")
@click.pass_context
def set_property(
    ctx: click.Context, apihost: str | None, auth: str | None, namespace: str | None
) -> None:
    """Set one or more properties."""
    updates = {
        key: value
        for key, value in (("APIHOST", apihost), ("AUTH", auth), ("NAMESPACE", namespace))
        if value is not None
    }
    if not updates:
        raise InvalidArgument("Give at least one of --apihost, --auth or --namespace.")
    write_wskprops(_props_file(ctx), updates)
    if auth is not None:
        click.echo("ok: whisk auth set. Run 'whisk property get --auth' to see the new value.")
    if apihost is not None:
        click.echo(f"ok: whisk API host set to {apihost}")
    if namespace is not None:
        click.echo(f"ok: whisk namespace set to {namespace}")


@property_group.command("unset")
@click.option("--apihost", is_flag=True, help="Remove the API host.")
@click.option("-u", "--auth", is_flag=True, help="Remove the authorization key.")
@click.option("--namespace", is_flag=True, help="Remove the default namespace.")
@click.pass_context
def unset_property(ctx: click.Context, apihost: bool, auth: bool, namespace: bool) -> None:
    """Unset one or more properties."""
    if not (apihost or auth or namespace):
        raise InvalidArgument("Give at least one of --apihost, --auth or --namespace.")
    path = _props_file(ctx)
    props = read_wskprops(path)
    for flag, key in ((apihost, "APIHOST"), (auth, "AUTH"), (namespace, "NAMESPACE")):
        if flag:
            props.pop(key, None)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_wskprops(props))
    path.chmod(0o600)
    if auth:
        click.echo("ok: whisk auth unset.")
    if apihost:
        click.echo("ok: whisk API host unset.")
    if namespace:
        click.echo(f"ok: whisk namespace unset; the default '{cfg.DEFAULT_NAMESPACE}' is used.")


def _cli_version() -> str:
    try:
        return version("whisk")
    except PackageNotFoundError:
        return "unknown"


def _namespace(config: cfg.Config) -> str:
    """The configured namespace, else the key's own one as the API reports it."""
    if config.namespace != cfg.DEFAULT_NAMESPACE or not (config.base_url and config.auth):
        return config.namespace
    client = Client(config.base_url, config.auth, config.insecure)
    with calling("obtain the namespace", "get", "namespace"):
        names = client.request("GET", "/namespaces").body
    return str(names[0]) if isinstance(names, list) and names else config.namespace


@property_group.command("get")
@click.option("--apihost", is_flag=True, help="Show the API host.")
@click.option("-u", "--auth", is_flag=True, help="Show the authorization key.")
@click.option("--namespace", is_flag=True, help="Show the namespace.")
@click.option("--apiversion", is_flag=True, help="Show the API version.")
@click.option("--cliversion", is_flag=True, help="Show the CLI version.")
@click.option("--all", "show_all", is_flag=True, help="Show every property (the default).")
@click.pass_context
def get_property(
    ctx: click.Context,
    apihost: bool,
    auth: bool,
    namespace: bool,
    apiversion: bool,
    cliversion: bool,
    show_all: bool,
) -> None:
    """Show properties (all of them when none is named)."""
    config = load_config(ctx)
    every = show_all or not (apihost or auth or namespace or apiversion or cliversion)
    if every or apihost:
        click.echo(f"whisk API host\t\t{config.apihost or ''}")
    if every or auth:
        click.echo(f"whisk auth\t\t{config.auth or ''}")
    if every or namespace:
        try:
            shown = _namespace(config)
        except WhiskError:
            if not every:
                raise
            shown = config.namespace
        click.echo(f"whisk namespace\t\t{shown}")
    if every or apiversion:
        click.echo("whisk API version\tv1")
    if every or cliversion:
        click.echo(f"whisk CLI version\t{_cli_version()}")
