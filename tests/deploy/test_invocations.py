"""Invoking actions through the REST API of a running deployment, as a client does. The same
suite runs against standalone and against controller + invokers over Kafka and PostgreSQL."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp

from tests.deploy.conftest import CRASHING, ECHO, FAILING, SLEEPY, Caller
from tests.harness import Stack


async def test_blocking_invoke_returns_the_activation(caller: Caller) -> None:
    await caller.action("echo", ECHO)
    status, record = await caller.call("POST", "actions/echo", {"hi": 1}, blocking="true")
    assert status == 200
    response = record["response"]
    assert (response["status"], response["success"], response["result"]) == (
        "success",
        True,
        {"hi": 1},
    )
    assert any("stdout: echo {'hi': 1}" in line for line in record["logs"])
    keys = [a["key"] for a in record["annotations"]]
    assert {"path", "kind", "limits", "waitTime", "timeout"} <= set(keys)
    status, result = await caller.call(
        "POST", "actions/echo", {"hi": 2}, blocking="true", result="true"
    )
    assert (status, result) == (200, {"hi": 2})


async def test_fetched_record_and_result_carry_the_response_size(caller: Caller) -> None:
    await caller.action("echo", ECHO)
    status, answer = await caller.call("POST", "actions/echo", {"hi": 1}, blocking="true")
    assert status == 200
    assert answer["response"]["size"] == len('{"hi": 1}')
    record = await caller.wait_record(answer["activationId"])
    assert record["response"] == answer["response"]
    path = f"activations/{answer['activationId']}/result"
    assert (await caller.call("GET", path))[1] == answer["response"]
    _, listed = await caller.call("GET", "activations", name="echo", docs="true")
    (found,) = [a for a in listed if a["activationId"] == answer["activationId"]]
    assert found["response"] == answer["response"]


async def test_non_blocking_invoke_is_accepted_then_completes(caller: Caller) -> None:
    await caller.action("echo", ECHO)
    status, reply = await caller.call("POST", "actions/echo", {"n": 3})
    assert status == 202
    record = await caller.wait_record(reply["activationId"])
    assert record["response"]["result"] == {"n": 3}


async def test_running_activation_is_404_and_its_pending_record_opt_in(caller: Caller) -> None:
    await caller.action("sleepy", SLEEPY, timeout=20_000)
    status, reply = await caller.call("POST", "actions/sleepy", {"seconds": 3})
    assert status == 202
    status, _ = await caller.call("GET", f"activations/{reply['activationId']}")
    assert status == 404  # as OpenWhisk: no record until the activation ends
    path = f"activations/{reply['activationId']}"
    status, record = await caller.call("GET", path, pending="true")
    assert status == 200
    assert record["response"]["status"] == "pending"
    assert "end" not in record
    final = await caller.wait_record(reply["activationId"])
    assert final["response"]["result"] == {"slept": 3}


async def test_blocking_wait_ending_first_answers_202_and_the_run_completes(caller: Caller) -> None:
    await caller.action("sleepy", SLEEPY, timeout=20_000)
    status, reply = await caller.call(
        "POST", "actions/sleepy", {"seconds": 3}, blocking="true", timeout="500"
    )
    assert status == 202
    assert set(reply) == {"activationId"}
    final = await caller.wait_record(reply["activationId"])
    assert final["response"]["success"] is True


async def test_application_error_is_502_with_the_activation(caller: Caller) -> None:
    await caller.action("failing", FAILING)
    status, record = await caller.call("POST", "actions/failing", {"x": 1}, blocking="true")
    assert status == 502
    assert record["response"]["status"] == "application error"
    assert record["response"]["result"] == {"error": "bad input: 1"}


async def test_python_exception_is_an_application_error_502(caller: Caller) -> None:
    # as OpenWhisk's Python runtime: {"error": str(exception)}, the traceback in the logs
    await caller.action("crashing", CRASHING)
    status, record = await caller.call("POST", "actions/crashing", {}, blocking="true")
    assert status == 502
    assert record["response"]["status"] == "application error"
    assert record["response"]["result"] == {"error": "boom"}


async def test_timeout_is_a_developer_error_with_openwhisk_message(caller: Caller) -> None:
    await caller.action("sleepy", SLEEPY, timeout=1_000)
    status, record = await caller.call("POST", "actions/sleepy", {"seconds": 5}, blocking="true")
    assert status == 502
    assert record["response"]["result"] == {
        "error": "The action exceeded its time limits of 1000 milliseconds."
    }
    assert {"key": "timeout", "value": True} in record["annotations"]


async def test_invocations_per_minute_throttle_answers_429(
    stack: Stack, session: aiohttp.ClientSession
) -> None:
    caller = Caller(session, stack.apihost, stack.new_namespace(invocationsPerMinute=2))
    await caller.action("echo", ECHO)
    for _ in range(2):
        status, _ = await caller.call("POST", "actions/echo", {})
        assert status == 202
    status, reply = await caller.call("POST", "actions/echo", {})
    assert status == 429
    assert reply["error"] == "Too many requests in the last minute (count: 3, allowed: 2)."


async def test_concurrent_invocations_throttle_answers_429(
    stack: Stack, session: aiohttp.ClientSession
) -> None:
    caller = Caller(session, stack.apihost, stack.new_namespace(concurrentInvocations=1))
    await caller.action("sleepy", SLEEPY, timeout=20_000)
    status, first = await caller.call("POST", "actions/sleepy", {"seconds": 3})
    assert status == 202
    status, reply = await caller.call("POST", "actions/sleepy", {"seconds": 3})
    assert status == 429
    assert reply["error"] == "Too many concurrent requests in flight (count: 1, allowed: 1)."
    await caller.wait_record(first["activationId"])
    # the slot frees when the completion reaches the controller; on the distributed stack the
    # invoker's record can land a moment before its ack is read, so allow that moment
    for _ in range(50):
        status, _ = await caller.call("POST", "actions/sleepy", {"seconds": 0})
        if status != 429:
            break
        await asyncio.sleep(0.1)
    assert status == 202


async def test_sequence_chains_components_and_records_them(caller: Caller) -> None:
    await caller.action("echo", ECHO)
    await caller.action("add", "def main(a):\n    return {'n': a.get('n', 0) + 1}\n")
    status, _ = await caller.call(
        "PUT",
        "actions/chain",
        {"exec": {"kind": "sequence", "components": ["/_/add", "/_/add", "/_/echo"]}},
    )
    assert status == 200
    status, record = await caller.call("POST", "actions/chain", {"n": 1}, blocking="true")
    assert status == 200
    assert record["response"]["result"] == {"n": 3}
    assert len(record["logs"]) == 3
    assert {"key": "kind", "value": "sequence"} in record["annotations"]
    component = await caller.wait_record(record["logs"][0])
    assert component["cause"] == record["activationId"]


async def test_many_concurrent_blocking_invokes_all_complete(caller: Caller) -> None:
    await caller.action("echo", ECHO)
    results = await asyncio.gather(
        *(
            caller.call("POST", "actions/echo", {"i": i}, blocking="true", result="true")
            for i in range(20)
        )
    )
    assert sorted(r[1]["i"] for r in results) == list(range(20))
    assert {r[0] for r in results} == {200}


async def test_trigger_fire_runs_active_rules_and_records_them(caller: Caller) -> None:
    await caller.action("echo", ECHO)
    status, _ = await caller.call(
        "PUT", "triggers/tick", {"parameters": [{"key": "a", "value": 1}]}
    )
    assert status == 200
    status, _ = await caller.call(
        "PUT", "rules/onTick", {"trigger": "/_/tick", "action": "/_/echo"}
    )
    assert status == 200
    status, reply = await caller.call("POST", "triggers/tick", {"b": 2})
    assert status == 202
    trigger_id = reply["activationId"]

    async def rule_line() -> dict[str, Any]:
        for _ in range(100):
            _, record = await caller.call("GET", f"activations/{trigger_id}")
            if record["logs"]:
                return json.loads(record["logs"][0])  # type: ignore[no-any-return]
            await asyncio.sleep(0.1)
        raise AssertionError("the trigger's record never listed its rule activation")

    line = await rule_line()
    assert line["rule"].endswith("/onTick") and line["success"] is True
    fired = await caller.wait_record(line["activationId"])
    assert "cause" not in fired  # as OpenWhisk: only composition components have one
    assert fired["response"]["result"] == {"a": 1, "b": 2}
    status, _ = await caller.call("POST", "rules/onTick", {"status": "inactive"})
    assert status == 200
    status, _ = await caller.call("POST", "triggers/tick", {})
    assert status == 204


CONDUCTOR = (
    "def main(args):\n"
    "    step = args.get('step', 0)\n"
    "    if step < 2:\n"
    "        nxt = {'step': step + 1}\n"
    "        return {'action': 'add', 'params': {'n': args.get('n', 0)}, 'state': nxt}\n"
    "    return {'params': {'n': args['n'], 'steps': step}}\n"
)


async def test_conductor_alternates_with_its_components(caller: Caller) -> None:
    await caller.action("add", "def main(a):\n    return {'n': a.get('n', 0) + 1}\n")
    body = {
        "exec": {"kind": "python:3.11", "code": CONDUCTOR},
        "annotations": [{"key": "conductor", "value": True}],
    }
    status, _ = await caller.call("PUT", "actions/conductor", body)
    assert status == 200
    status, record = await caller.call("POST", "actions/conductor", {"n": 1}, blocking="true")
    assert status == 200, record
    assert record["response"]["result"] == {"n": 3, "steps": 2}
    assert len(record["logs"]) == 5  # conductor, add, conductor, add, conductor
    assert {"key": "conductor", "value": True} in record["annotations"]
    derived = await caller.wait_record(record["logs"][1])
    assert derived["cause"] == record["activationId"]
    assert derived["name"] == "add"


async def test_failed_async_activation_is_retried_then_dead_lettered(caller: Caller) -> None:
    await caller.action("echo", ECHO)
    status, _ = await caller.call("PUT", "triggers/dlq", {})
    assert status == 200
    status, _ = await caller.call("PUT", "rules/onDlq", {"trigger": "/_/dlq", "action": "/_/echo"})
    assert status == 200
    body = {
        "exec": {"kind": "python:3.11", "code": FAILING},
        "annotations": [
            {"key": "retry", "value": {"attempts": 2, "backoffMs": 100}},
            {"key": "dead-letter", "value": {"trigger": "/_/dlq"}},
        ],
    }
    status, _ = await caller.call("PUT", "actions/flaky", body)
    assert status == 200
    status, reply = await caller.call("POST", "actions/flaky", {"x": 7})
    assert status == 202
    first = reply["activationId"]

    async def echoed() -> list[dict[str, Any]]:
        for _ in range(300):
            _, listed = await caller.call("GET", "activations", name="echo", docs="true")
            done = [a for a in listed if a["response"]["status"] != "pending"]
            if done:
                return done
            await asyncio.sleep(0.1)
        raise AssertionError("the dead-letter trigger never ran its rule")

    (dead,) = await echoed()
    letter = dead["response"]["result"]
    assert letter["attempts"] == 3 and letter["action"].endswith("/flaky")
    assert letter["result"] == {"error": "bad input: 7"}
    _, runs = await caller.call("GET", "activations", name="flaky", docs="true")
    assert len(runs) == 3
    notes = [{a["key"]: a["value"] for a in r["annotations"]} for r in runs]
    assert sorted(n.get("attempt", 0) for n in notes) == [0, 1, 2]
    assert all(n["retryOf"] == first for n in notes if "attempt" in n)
    last = next(r for r, n in zip(runs, notes, strict=True) if n.get("attempt") == 2)
    assert last["activationId"] == letter["activationId"]
    final = await caller.wait_record(last["activationId"])
    assert {"key": "deadLetter", "value": f"trigger:/{final['namespace']}/dlq"} in final[
        "annotations"
    ]


async def test_per_action_concurrency_limit_answers_429(caller: Caller) -> None:
    body = {
        "exec": {"kind": "python:3.11", "code": SLEEPY},
        "limits": {"timeout": 20_000},
        "annotations": [{"key": "concurrentInvocations", "value": 1}],
    }
    status, _ = await caller.call("PUT", "actions/single", body)
    assert status == 200
    await caller.action("other", SLEEPY, timeout=20_000)
    status, first = await caller.call("POST", "actions/single", {"seconds": 2})
    assert status == 202
    status, reply = await caller.call("POST", "actions/single", {"seconds": 0})
    assert status == 429
    assert reply["error"] == (
        "Too many concurrent requests in flight for this action (count: 1, allowed: 1)."
    )
    status, _ = await caller.call("POST", "actions/other", {"seconds": 0})
    assert status == 202  # other actions of the namespace are not held back
    await caller.wait_record(first["activationId"])
    # the slot frees when the completion reaches the controller, which may come a moment
    # after the record is readable (the record and the ack travel separately)
    for _ in range(50):
        status, _ = await caller.call("POST", "actions/single", {"seconds": 0})
        if status != 429:
            break
        await asyncio.sleep(0.1)
    assert status == 202


TWO_LINES = (
    "import sys, time\n"
    "def main(args):\n"
    "    print('first', flush=True)\n"
    "    time.sleep(1.2)\n"
    "    print('second', flush=True)\n"
    "    return {}\n"
)


async def test_each_log_line_is_stamped_when_it_was_written(caller: Caller) -> None:
    """Lines written 1.2 s apart carry stamps at least 1 s apart (not the collection time)."""
    from datetime import datetime

    await caller.action("two_lines", TWO_LINES)
    status, record = await caller.call("POST", "actions/two_lines", {}, blocking="true")
    assert status == 200, record
    lines = [line for line in record["logs"] if "first" in line or "second" in line]
    assert len(lines) == 2, record["logs"]
    stamps = [datetime.fromisoformat(line.split()[0].rstrip("Z")[:26]) for line in lines]
    assert (stamps[1] - stamps[0]).total_seconds() >= 1.0, lines
