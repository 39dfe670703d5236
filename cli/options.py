"""The command-line flags several nouns share: ``-p/-P`` parameters and ``-a/-A`` annotations as
wsk spells them, and ``with_options`` to put a list of them on a command. What the values mean
is ``cli.params``'."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])

param_opts = [
    click.option(
        "-p",
        "--param",
        "params",
        nargs=2,
        multiple=True,
        metavar="KEY VALUE",
        help="Parameter; VALUE is JSON when it parses, else a string.",
    ),
    click.option("-P", "--param-file", help="JSON file of parameters."),
]
annotation_opts = [
    click.option(
        "-a",
        "--annotation",
        "annotations",
        nargs=2,
        multiple=True,
        metavar="KEY VALUE",
        help="Annotation; VALUE parsed as for -p.",
    ),
    click.option("-A", "--annotation-file", help="JSON file of annotations."),
]


def with_options(options: Sequence[Callable[[Any], Any]]) -> Callable[[F], F]:
    """A decorator putting ``options`` on a command, in the order listed (for ``--help``)."""

    def apply(f: F) -> F:
        for option in reversed(options):
            f = option(f)
        return f

    return apply
