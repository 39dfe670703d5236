"""``whisk``: the command line. ``whisk admin`` for operators; the wsk-like commands join here."""

from __future__ import annotations

import click

from cli.admin import admin
from standalone.main import standalone


@click.group()
@click.version_option(package_name="whisk")
def main() -> None:
    """Whisk: an OpenWhisk-compatible serverless engine."""


main.add_command(admin)
main.add_command(standalone)

if __name__ == "__main__":
    main()
