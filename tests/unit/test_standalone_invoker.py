"""Where standalone runs its invoker, and what the child process is told."""

from __future__ import annotations

from pathlib import Path

import click
import pytest

from invoker.main import InvokerSettings
from standalone.main import (
    InvokerMode,
    bus_socket_path,
    choose_invoker_mode,
    invoker_environment,
)


@pytest.mark.parametrize(
    ("flag", "env", "expected"),
    [
        (None, {}, InvokerMode.IN_PROCESS),
        (None, {"WHISK_STANDALONE_INVOKER": "in-process"}, InvokerMode.IN_PROCESS),
        (None, {"WHISK_STANDALONE_INVOKER": "process"}, InvokerMode.PROCESS),
        ("in-process", {"WHISK_STANDALONE_INVOKER": "process"}, InvokerMode.IN_PROCESS),
        ("process", {}, InvokerMode.PROCESS),
    ],
)
def test_standalone_invoker_mode_flag_then_env_then_in_process(
    flag: str | None, env: dict[str, str], expected: InvokerMode
) -> None:
    assert choose_invoker_mode(flag, env) is expected


def test_standalone_invoker_mode_refuses_other_values() -> None:
    with pytest.raises(click.UsageError):
        choose_invoker_mode(None, {"WHISK_STANDALONE_INVOKER": "thread"})


def test_standalone_bus_socket_is_in_the_state_dir_unless_too_long() -> None:
    assert bus_socket_path(Path("/home/u/.whisk")) == (Path("/home/u/.whisk/bus.sock"), None)

    path, temporary = bus_socket_path(Path("/x" * 60))
    assert temporary is not None and path == temporary / "bus.sock"
    assert len(str(path)) < 100
    temporary.rmdir()


def test_standalone_invoker_environment_carries_the_decisions() -> None:
    settings = InvokerSettings(instance=0, cluster="sa12345678", api_host="http://localhost:3233")

    env = invoker_environment(
        {"PATH": "/bin", "WHISK_BUS_URL": "memory://", "WHISK_INVOKER_CLUSTER": "other"},
        "local:///s/bus.sock",
        "sqlite+aiosqlite:////s/whisk.db",
        settings,
    )

    assert env["PATH"] == "/bin"
    assert env["WHISK_BUS_URL"] == "local:///s/bus.sock"
    assert env["WHISK_DB_URL"] == "sqlite+aiosqlite:////s/whisk.db"
    assert env["WHISK_INVOKER_CLUSTER"] == "sa12345678"  # its containers keep our label
    assert env["WHISK_INVOKER_ID"] == "0"
    assert env["WHISK_API_HOST"] == "http://localhost:3233"
