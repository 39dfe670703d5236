"""``whisk``: the command line. ``whisk admin`` for operators, ``whisk standalone`` to run Whisk
in one process, and the wsk-compatible nouns (action, activation, package, rule, trigger,
property, namespace, list) that talk to the REST API."""

from __future__ import annotations

import os

import click

from cli.action import action
from cli.activation import activation
from cli.admin import admin
from cli.api import api
from cli.command import GLOBAL_FLAGS_NOTE, connection_options
from cli.deploy import deploy, undeploy
from cli.local import run
from cli.namespace import list_all, namespace
from cli.package import package
from cli.properties import property_group
from cli.rule import rule
from cli.trigger import trigger
from standalone.main import standalone
from whisk.logs import configure_logging


@click.group(help=f"Whisk: an OpenWhisk-compatible serverless engine.\n\n{GLOBAL_FLAGS_NOTE}")
@click.version_option(package_name="whisk")
@connection_options
def main() -> None:
    # the CLI's own log lines: console format, on stderr, warnings and up (WHISK_LOG_LEVEL)
    configure_logging("console", os.environ.get("WHISK_LOG_LEVEL") or "warning")


action.add_command(run)  # `whisk action run --local`
main.add_command(admin)
main.add_command(standalone)
for command in (action, activation, package, rule, trigger, property_group, namespace, list_all):
    main.add_command(command)
main.add_command(api)
main.add_command(deploy)
main.add_command(undeploy)

if __name__ == "__main__":
    main()
