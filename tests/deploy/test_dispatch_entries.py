"""One dispatch for every entry: a plain action, a sequence and a conductor each run as what
they are whether they are invoked over REST, called as a web action, fired by a rule, or run
as a component of a sequence or of a conductor (controller/runner.py)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from tests.deploy.conftest import Caller
from tests.deploy.test_web_actions import web_for

ADD_ONE = "def main(args):\n    return {'n': int(args.get('n', 0)) + 1}\n"
# a conductor that runs `add` once, then ends with its result
CONDUCTOR = (
    "def main(args):\n"
    "    if args.get('done'):\n"
    "        return {'params': {'n': args['n']}}\n"
    "    return {'action': 'add', 'params': {'n': args.get('n', 0)}, 'state': {'done': True}}\n"
)
KINDS = ("plain", "sequence", "conductor")


async def create(caller: Caller, kind: str, name: str) -> None:
    """An action named ``name`` of ``kind`` that adds one to ``n`` (web-exported)."""
    web = [{"key": "web-export", "value": True}]
    if kind == "plain":
        body: dict[str, Any] = {
            "exec": {"kind": "python:3.11", "code": ADD_ONE},
            "annotations": web,
        }
    elif kind == "sequence":
        body = {"exec": {"kind": "sequence", "components": ["/_/add"]}, "annotations": web}
    else:
        body = {
            "exec": {"kind": "python:3.11", "code": CONDUCTOR},
            "annotations": [*web, {"key": "conductor", "value": True}],
        }
    status, reply = await caller.call("PUT", f"actions/{name}", body, overwrite="true")
    assert status == 200, reply


def assert_ran_as(record: dict[str, Any], kind: str) -> None:
    notes = {a["key"]: a["value"] for a in record["annotations"]}
    if kind == "plain":
        assert notes["kind"] == "python:3.11", notes
        assert "conductor" not in notes
    elif kind == "sequence":
        assert notes["kind"] == "sequence", notes
        assert "conductor" not in notes
        assert len(record["logs"]) == 1  # the one component's id
    else:
        assert notes["kind"] == "sequence" and notes["conductor"] is True, notes
        assert len(record["logs"]) == 3  # conductor, add, conductor
    assert record["response"]["result"] == {"n": 2}, record


@pytest.fixture
async def add(caller: Caller) -> Caller:
    await caller.action("add", ADD_ONE)
    return caller


@pytest.mark.parametrize("kind", KINDS)
async def test_rest_invoke_runs_each_kind_as_itself(add: Caller, kind: str) -> None:
    await create(add, kind, f"k-{kind}")
    status, record = await add.call("POST", f"actions/k-{kind}", {"n": 1}, blocking="true")
    assert status == 200, record
    assert_ran_as(record, kind)


@pytest.mark.parametrize("kind", KINDS)
async def test_web_action_runs_each_kind_as_itself(add: Caller, kind: str) -> None:
    await create(add, kind, f"w-{kind}")
    web = await web_for(add)
    async with add.session.get(web.url(f"w-{kind}") + ".json", params={"n": "1"}) as resp:
        assert resp.status == 200, await resp.text()
        assert await resp.json() == {"n": 2}
        activation_id = resp.headers["x-openwhisk-activation-id"]
    assert_ran_as(await add.wait_record(activation_id), kind)


@pytest.mark.parametrize("kind", KINDS)
async def test_rule_firing_runs_each_kind_as_itself(add: Caller, kind: str) -> None:
    await create(add, kind, f"r-{kind}")
    status, _ = await add.call("PUT", f"triggers/t-{kind}", {}, overwrite="true")
    assert status == 200
    rule = {"trigger": f"/_/t-{kind}", "action": f"/_/r-{kind}"}
    status, reply = await add.call("PUT", f"rules/rule-{kind}", rule, overwrite="true")
    assert status == 200, reply
    status, fired = await add.call("POST", f"triggers/t-{kind}", {"n": 1})
    assert status == 202, fired
    trigger_record = await add.wait_record(fired["activationId"])
    logs = trigger_record["logs"]
    for _ in range(100):  # the rule activations are listed once they were started
        if logs:
            break
        await asyncio.sleep(0.1)
        trigger_record = await add.wait_record(fired["activationId"])
        logs = trigger_record["logs"]
    import json

    line = json.loads(logs[0])
    assert line["statusCode"] == 0, line
    record = await add.wait_record(line["activationId"])
    assert "cause" not in record
    assert_ran_as(record, kind)


@pytest.mark.parametrize("kind", KINDS)
async def test_a_sequence_component_runs_as_itself(add: Caller, kind: str) -> None:
    await create(add, kind, f"c-{kind}")
    body = {"exec": {"kind": "sequence", "components": [f"/_/c-{kind}"]}}
    status, reply = await add.call("PUT", f"actions/outer-{kind}", body, overwrite="true")
    assert status == 200, reply
    status, outer = await add.call("POST", f"actions/outer-{kind}", {"n": 1}, blocking="true")
    assert status == 200, outer
    assert outer["response"]["result"] == {"n": 2}
    assert_ran_as(await add.wait_record(outer["logs"][0]), kind)


@pytest.mark.parametrize("kind", KINDS)
async def test_a_conductor_component_runs_as_itself(add: Caller, kind: str) -> None:
    await create(add, kind, f"d-{kind}")
    code = CONDUCTOR.replace("'add'", f"'d-{kind}'")
    body = {
        "exec": {"kind": "python:3.11", "code": code},
        "annotations": [{"key": "conductor", "value": True}],
    }
    status, reply = await add.call("PUT", f"actions/cond-{kind}", body, overwrite="true")
    assert status == 200, reply
    status, outer = await add.call("POST", f"actions/cond-{kind}", {"n": 1}, blocking="true")
    assert status == 200, outer
    assert outer["response"]["result"] == {"n": 2}
    assert_ran_as(await add.wait_record(outer["logs"][1]), kind)
