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
    ("flag", "env", "cores", "expected"),
    [
        (None, {}, 2, InvokerMode.PROCESS),
        (None, {}, 8, InvokerMode.PROCESS),
        (None, {}, 1, InvokerMode.IN_PROCESS),
        (None, {}, None, InvokerMode.IN_PROCESS),  # os.cpu_count() could not tell
        (None, {"WHISK_STANDALONE_INVOKER": "in-process"}, 2, InvokerMode.IN_PROCESS),
        (None, {"WHISK_STANDALONE_INVOKER": "process"}, 1, InvokerMode.PROCESS),
        ("in-process", {"WHISK_STANDALONE_INVOKER": "process"}, 2, InvokerMode.IN_PROCESS),
        ("process", {}, 1, InvokerMode.PROCESS),
    ],
)
def test_standalone_invoker_mode_flag_then_env_then_cores(
    flag: str | None, env: dict[str, str], cores: int | None, expected: InvokerMode
) -> None:
    assert choose_invoker_mode(flag, env, cores) is expected


def test_standalone_invoker_mode_refuses_other_values() -> None:
    with pytest.raises(click.UsageError):
        choose_invoker_mode(None, {"WHISK_STANDALONE_INVOKER": "thread"}, 2)


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
