"""``whisk activation`` against a running standalone, on records written to its database the
way the invoker writes them (so that outcomes, logs and cold starts are known in advance)."""

from __future__ import annotations

import json
import re
import time

import pytest

from tests.cli.conftest import Standalone, Wsk, seed_activation
from whisk.entities.activation import application_error, success


@pytest.fixture
def seeded(standalone: Standalone, unique: str) -> dict[str, str]:
    now = int(time.time() * 1000) - 5000
    db = standalone.db_url
    return {
        "ok": seed_activation(
            db, unique, start=now, duration=12, response=success({"n": 1}),
            logs=["2026-01-01T00:00:00.000000000Z stdout: first line",
                  "2026-01-01T00:00:00.000000001Z stderr: second line"],
            annotations=[{"key": "kind", "value": "python:3.11"}, {"key": "initTime", "value": 4}],
        ),
        "failed": seed_activation(
            db, unique, start=now + 1, duration=3, response=application_error("boom"),
            annotations=[{"key": "kind", "value": "python:3.11"}],
        ),
        "pending": seed_activation(db, unique, start=now + 2, response=None),
    }  # fmt: skip


def test_activation_list_prints_wsk_columns(wsk: Wsk, unique: str, seeded: dict) -> None:
    result = wsk("activation", "list", unique)
    assert result.exit_code == 0, result.output
    header, *rows = result.stdout.splitlines()
    assert header.split() == ["Datetime", "Activation", "ID", "Kind", "Start", "Duration",
                              "Status", "Entity"]  # fmt: skip
    assert [r.split()[2] for r in rows] == [seeded["failed"], seeded["ok"]]  # not the running one
    assert rows[1].split()[3:] == ["python:3.11", "cold", "12ms", "success",
                                   f"guest/{unique}:0.0.1"]  # fmt: skip
    assert rows[0].split()[3:] == ["python:3.11", "warm", "3ms", "application", "error",
                                   f"guest/{unique}:0.0.1"]  # fmt: skip
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", rows[0][:19])
    with_pending = wsk("activation", "list", unique, "--pending")
    listed = [r.split()[2] for r in with_pending.stdout.splitlines()[1:]]
    assert listed == [seeded["pending"], seeded["failed"], seeded["ok"]]


def test_activation_list_status_filter_keeps_only_that_outcome(
    wsk: Wsk, unique: str, seeded: dict
) -> None:
    failed = wsk("activation", "list", unique, "--status", "application-error", "--json")
    assert [a["activationId"] for a in json.loads(failed.stdout)] == [seeded["failed"]]
    pending = wsk("activation", "list", unique, "--status", "pending")
    assert [r.split()[2] for r in pending.stdout.splitlines()[1:]] == [seeded["pending"]]


def test_activation_get_prints_the_record_in_wsk_order(wsk: Wsk, seeded: dict) -> None:
    result = wsk("activation", "get", seeded["ok"])
    assert result.exit_code == 0
    head, _, body = result.stdout.partition("\n")
    assert head == f"ok: got activation {seeded['ok']}"
    record = json.loads(body)
    assert list(record)[:5] == ["namespace", "name", "version", "subject", "activationId"]
    assert record["response"] == {"status": "success", "success": True, "result": {"n": 1}}


def test_activation_get_summary_and_field(wsk: Wsk, unique: str, seeded: dict) -> None:
    summary = wsk("activation", "get", seeded["failed"], "--summary")
    first, _, body = summary.stdout.partition("\n")
    assert re.fullmatch(
        rf"activation result for '/guest/{unique}' \(application error at [\d :-]+\)", first
    )
    assert json.loads(body) == {"error": "boom"}
    field = wsk("activation", "get", seeded["ok"], "duration")
    assert field.stdout == f"ok: got activation {seeded['ok']}, displaying field duration\n12\n"


def test_activation_logs_and_strip(wsk: Wsk, seeded: dict) -> None:
    plain = wsk("activation", "logs", seeded["ok"])
    assert plain.stdout.splitlines() == [
        "2026-01-01T00:00:00.000000000Z stdout: first line",
        "2026-01-01T00:00:00.000000001Z stderr: second line",
    ]
    stripped = wsk("activation", "logs", seeded["ok"], "--strip")
    assert stripped.stdout.splitlines() == ["first line", "second line"]


def test_activation_result_prints_the_result_or_says_to_wait(wsk: Wsk, seeded: dict) -> None:
    done = wsk("activation", "result", seeded["ok"])
    assert (done.exit_code, done.stdout) == (0, '{\n    "n": 1\n}\n')
    running = wsk("activation", "result", seeded["pending"])
    assert running.exit_code == 148  # as OpenWhisk: no record until the activation ends
    assert "The requested resource does not exist." in running.stderr
    pending = wsk("activation", "result", seeded["pending"], "--pending")
    assert pending.exit_code == 1
    assert pending.stderr.splitlines() == [
        f"error: Activation '{seeded['pending']}' has not finished yet.",
        f"Run 'whisk activation wait {seeded['pending']}' to wait for its result.",
    ]


def test_activation_last_is_the_newest(wsk: Wsk, seeded: dict) -> None:
    newest = json.loads(wsk("activation", "list", "--limit", "1", "--json").stdout)[0]
    result = wsk("activation", "get", "--last", "--json")
    assert json.loads(result.stdout)["activationId"] == newest["activationId"]


def test_activation_wait_returns_a_finished_record_with_its_exit_code(
    wsk: Wsk, seeded: dict
) -> None:
    done = wsk("activation", "wait", seeded["ok"])
    assert done.exit_code == 0
    assert done.stdout.splitlines()[0] == f"ok: got activation {seeded['ok']}"
    failed = wsk("activation", "wait", seeded["failed"], "--json")
    assert failed.exit_code == 246  # as a blocking invoke's 502
    assert json.loads(failed.stdout)["response"]["status"] == "application error"


def test_activation_wait_gives_up_on_a_pending_record_with_202(wsk: Wsk, seeded: dict) -> None:
    result = wsk("activation", "wait", seeded["pending"], "--timeout", "0.3")
    assert result.exit_code == 202
    assert result.stderr.splitlines() == [
        f"error: Activation '{seeded['pending']}' is still pending after 0.3 seconds.",
        f"Run 'whisk activation wait {seeded['pending']}' again later.",
    ]


def test_activation_get_of_a_running_one_is_not_found_unless_pending(
    wsk: Wsk, seeded: dict
) -> None:
    assert wsk("activation", "get", seeded["pending"]).exit_code == 148
    assert wsk("activation", "logs", seeded["pending"]).exit_code == 148
    shown = wsk("activation", "get", seeded["pending"], "--pending", "--json")
    assert shown.exit_code == 0
    assert json.loads(shown.stdout)["response"] == {"status": "pending", "success": False}
    assert wsk("activation", "logs", seeded["pending"], "--pending").stdout == ""


def test_activation_get_unknown_exits_148(wsk: Wsk) -> None:
    result = wsk("activation", "get", "0" * 32)
    assert result.exit_code == 148
    first, hint = result.stderr.splitlines()
    assert first.startswith(f"error: Unable to get activation '{'0' * 32}': The requested ")
    assert hint == "Run 'whisk activation list' to see what exists."


def test_activation_poll_prints_new_activations_and_their_logs(
    wsk: Wsk, unique: str, seeded: dict
) -> None:
    result = wsk("activation", "poll", unique, "--since-minutes", "5", "--exit", "0")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[:2] == ["Enter Ctrl-c to exit.", "Polling for activation logs"]
    assert f"Activation: '{unique}' ({seeded['ok']})" in lines
    assert '    "2026-01-01T00:00:00.000000000Z stdout: first line",' in lines
