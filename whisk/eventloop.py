"""The services' event loop: uvloop when it is installed (a default dependency), else
asyncio's own. ``WHISK_EVENT_LOOP=asyncio`` chooses asyncio's loop explicitly (to compare, or
to debug with asyncio's debug mode)."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


def loop_name(environ: dict[str, str] | None = None) -> str:
    """``uvloop`` or ``asyncio``: the loop ``run`` will use."""
    choice = (environ if environ is not None else os.environ).get("WHISK_EVENT_LOOP", "")
    if choice == "asyncio":
        return "asyncio"
    try:
        import uvloop  # noqa: F401
    except ImportError:
        return "asyncio"
    return "uvloop"


def run(main: Coroutine[Any, Any, T]) -> T:
    if loop_name() == "uvloop":
        import uvloop

        return uvloop.run(main)
    return asyncio.run(main)
