"""Metering on a real deployment: after cold and warm activations (one action failing, and a
sequence that is not billed itself), the usage endpoint, ``whisk namespace usage`` and
``whisk admin usage`` agree with the activation records to the millisecond (GB-seconds to
1e-6), and still do after a restart."""

from __future__ import annotations

import asyncio
import json
import subprocess
from collections.abc import Iterator
from typing import Any

import aiohttp
import pytest

from tests.deploy.conftest import CRASHING, ECHO, Caller, build_stack
from tests.harness import PY, ROOT, Stack


@pytest.fixture(
    scope="module",
    params=[
        "standalone",
        pytest.param("distributed", marks=[pytest.mark.kafka, pytest.mark.postgres]),
    ],
)
def metered(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stack]:
    kw = {} if request.param == "standalone" else {"invokers": 1}
    running = build_stack(request, request.param, tmp_path_factory.mktemp("usage"), **kw)
    try:
        yield running
    finally:
        running.stop()


def _notes(record: dict[str, Any]) -> dict[str, Any]:
    return {a["key"]: a["value"] for a in record.get("annotations", [])}


def expected_usage(records: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """What metering should say, worked out from the records by the billing rules: primitive
    activations only, duration rounded up to 1 ms (at least 1), memory GB x billed seconds."""
    by_action: dict[str, dict[str, Any]] = {}
    for record in records:
        notes = _notes(record)
        if notes.get("kind") == "sequence":
            continue
        billed = max(1, record["duration"])
        figures = by_action.setdefault(
            record["name"],
            {"activations": 0, "billedMs": 0, "mbMs": 0, "coldStarts": 0, "errors": 0},
        )
        figures["activations"] += 1
        figures["billedMs"] += billed
        figures["mbMs"] += billed * notes["limits"]["memory"]
        figures["coldStarts"] += 1 if "initTime" in notes else 0
        figures["errors"] += 0 if record["response"]["status"] == "success" else 1
    return by_action


def assert_agrees(report: dict[str, Any], expected: dict[str, dict[str, Any]]) -> None:
    assert [a["name"] for a in report["actions"]] == sorted(expected)
    for got in report["actions"]:
        want = expected[got["name"]]
        for key in ("activations", "billedMs", "coldStarts", "errors"):
            assert got[key] == want[key], (got, want)
        assert abs(got["gbSeconds"] - want["mbMs"] / 1024 / 1000) < 1e-6, (got, want)
    for key in ("activations", "billedMs", "coldStarts", "errors"):
        assert report[key] == sum(w[key] for w in expected.values()), report
    total_gb = sum(w["mbMs"] for w in expected.values()) / 1024 / 1000
    assert abs(report["gbSeconds"] - total_gb) < 1e-6


async def usage_once_settled(caller: Caller, activations: int) -> dict[str, Any]:
    """The usage report once every completed activation is in it (the invoker writes usage
    behind, with its records); bounded by the test's timeout."""
    while True:
        status, report = await caller.call("GET", "usage")
        assert status == 200, report
        if report["activations"] >= activations:
            return report  # type: ignore[no-any-return]
        await asyncio.sleep(0.2)


def cli(stack: Stack, key: str, *args: str) -> str:
    done = subprocess.run(
        [PY, "-m", "cli.main", *args, "--apihost", stack.apihost, "-u", key],
        cwd=ROOT, env=stack.env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout


def check_cli(stack: Stack, key: str, namespace: str, expected: dict[str, dict[str, Any]]) -> None:
    assert_agrees(json.loads(cli(stack, key, "namespace", "usage", "-r")), expected)
    table = cli(stack, key, "namespace", "usage").splitlines()
    rows = {line.split()[0]: line.split()[1:] for line in table[2:]}
    for name, want in expected.items():
        activations, billed, gb, cold, errors = rows[name]
        assert (int(activations), int(billed), int(cold), int(errors)) == (
            want["activations"], want["billedMs"], want["coldStarts"], want["errors"],
        )  # fmt: skip
        assert abs(float(gb) - want["mbMs"] / 1024 / 1000) <= 1e-6
    reports = {r["namespace"]: r for r in json.loads(stack.admin("usage", "-r"))}
    assert_agrees(reports[namespace], expected)


async def test_usage_agrees_with_the_records_across_a_restart(
    metered: Stack, session: aiohttp.ClientSession
) -> None:
    key = metered.new_namespace()
    caller = Caller(session, metered.apihost, key)
    status, names = await caller.call("GET", "../../namespaces")
    assert status == 200, names
    namespace = names[0]
    await caller.action("echo", ECHO, memory=128)
    await caller.action("crash", CRASHING, memory=256)
    status, reply = await caller.call(
        "PUT", "actions/both", {"exec": {"kind": "sequence", "components": ["/_/echo"]}}
    )
    assert status == 200, reply

    for n in range(3):  # cold, then warm
        status, reply = await caller.call("POST", "actions/echo", {"n": n}, blocking="true")
        assert status == 200, reply
    for _ in range(2):
        status, reply = await caller.call("POST", "actions/crash", {}, blocking="true")
        assert status == 502, reply
    status, reply = await caller.call("POST", "actions/both", {"n": 9}, blocking="true")
    assert status == 200, reply
    status, reply = await caller.call("POST", "actions/echo", {"n": 10})  # not blocking
    assert status == 202, reply
    await caller.wait_record(reply["activationId"])

    status, records = await caller.call("GET", "activations", docs="true", limit="200")
    assert status == 200 and len(records) == 8, records  # 7 primitives and the sequence
    expected = expected_usage(records)
    assert expected["echo"]["activations"] == 5 and expected["crash"]["errors"] == 2
    assert expected["echo"]["coldStarts"] >= 1 and expected["crash"]["coldStarts"] >= 1

    report = await usage_once_settled(caller, 7)
    assert report["namespace"] == namespace and (report["since"], report["upto"]) == (None, None)
    assert_agrees(report, expected)
    start = min(r["start"] for r in records)
    status, windowed = await caller.call("GET", "usage", since=str(start), upto=str(start))
    assert status == 200 and windowed["activations"] >= 1, windowed
    await asyncio.to_thread(check_cli, metered, key, namespace, expected)

    name = "standalone" if metered.kind == "standalone" else "controller0"
    await asyncio.to_thread(metered.terminate, name)
    await asyncio.to_thread(metered.restart, name, f"{metered.apihost}/ping")
    status, again = await caller.call("GET", "usage")
    assert status == 200, again
    assert_agrees(again, expected)
    await asyncio.to_thread(check_cli, metered, key, namespace, expected)
