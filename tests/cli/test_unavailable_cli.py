"""Invocation refused with OpenWhisk's 503 (a controller with no invoker): the CLI prints
``error: Unable to ...: <message> (code <tid>)`` with the next step, and exits 247 (503 - 256)."""

from __future__ import annotations

import re
from pathlib import Path

from click.testing import Result

from tests.cli.conftest import Wsk

UNAVAILABLE = (
    "The server is currently unavailable (because it is overloaded or down for maintenance)."
)
HINT = (
    "The server cannot run this now (no invoker ready, or overloaded): retry later, and check "
    "the server's log if it persists."
)


def _assert_503(result: Result, what: str) -> None:
    assert result.exit_code == 247, result.output
    assert result.stdout == ""
    first, hint = result.stderr.splitlines()
    assert re.fullmatch(rf"error: Unable to {what}: {re.escape(UNAVAILABLE)} \(code \w+\)", first)
    assert hint == HINT


def _action(wsk: Wsk, tmp_path: Path, name: str) -> None:
    code = tmp_path / "a.py"
    code.write_text("def main(args):\n    return args\n")
    assert wsk("action", "create", name, str(code)).exit_code == 0


def test_action_invoke_without_invoker_exits_247(
    wsk_no_invoker: Wsk, unique: str, tmp_path: Path
) -> None:
    _action(wsk_no_invoker, tmp_path, unique)
    _assert_503(wsk_no_invoker("action", "invoke", unique), f"invoke action '{unique}'")
    _assert_503(wsk_no_invoker("action", "invoke", unique, "-b"), f"invoke action '{unique}'")
    _assert_503(wsk_no_invoker("action", "invoke", unique, "-r"), f"invoke action '{unique}'")


def test_trigger_create_with_feed_without_invoker_removes_the_trigger(
    wsk_no_invoker: Wsk, unique: str, tmp_path: Path
) -> None:
    _action(wsk_no_invoker, tmp_path, f"{unique}-feed")
    result = wsk_no_invoker("trigger", "create", unique, "--feed", f"{unique}-feed")
    assert result.exit_code == 247
    first, hint = result.stderr.splitlines()
    assert first.startswith(
        f"error: Unable to create trigger '{unique}': Unable to configure feed '{unique}-feed': "
        f"{UNAVAILABLE} (code "
    )
    assert hint == HINT
    assert wsk_no_invoker("trigger", "get", unique).exit_code == 148


def test_trigger_fire_without_invoker_records_the_failed_rule(
    wsk_no_invoker: Wsk, unique: str, tmp_path: Path
) -> None:
    # As OpenWhisk: the fire is accepted (202) and the rule's activation fails for want of
    # an invoker; the trigger's record says so.
    _action(wsk_no_invoker, tmp_path, f"{unique}-a")
    assert wsk_no_invoker("trigger", "create", unique).exit_code == 0
    assert wsk_no_invoker("rule", "create", f"{unique}-r", unique, f"{unique}-a").exit_code == 0
    result = wsk_no_invoker("trigger", "fire", unique)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"ok: triggered /_/{unique} with id ")
