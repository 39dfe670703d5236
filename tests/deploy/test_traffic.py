"""Event-gateway traffic on a running deployment: a trigger and a web action annotated
``rate-limit`` refuse the excess with 429, and ``?stats=true`` counts what happened."""

from __future__ import annotations

from typing import Any

import aiohttp

from tests.deploy.conftest import ECHO, Caller
from tests.deploy.test_web_actions import web_for

LIMIT = [{"key": "rate-limit", "value": {"perMinute": 3}}]


async def test_a_rate_limited_trigger_refuses_the_excess_and_counts_it(caller: Caller) -> None:
    await caller.action("echo", ECHO)
    status, reply = await caller.call(
        "PUT", "triggers/limited", {"annotations": [{"key": "rate-limit", "value": 0}]}
    )
    assert status == 400 and "rate-limit" in reply["error"], reply
    status, _ = await caller.call("PUT", "triggers/limited", {"annotations": LIMIT})
    assert status == 200
    status, _ = await caller.call(
        "PUT", "rules/onLimited", {"trigger": "/_/limited", "action": "/_/echo"}
    )
    assert status == 200
    answers: list[tuple[int, Any]] = [
        await caller.call("POST", "triggers/limited", {"n": i}) for i in range(5)
    ]
    assert [s for s, _ in answers] == [202, 202, 202, 429, 429], answers
    refused = answers[-1][1]
    assert set(refused) == {"error", "code"}
    assert "(count: 5, allowed: 3)" in refused["error"]
    status, trigger = await caller.call("GET", "triggers/limited", stats="true")
    assert status == 200
    assert trigger["stats"]["lastMinute"] == {"accepted": 3, "throttled": 2, "failed": 0}
    assert trigger["stats"]["lastHour"]["throttled"] == 2
    status, plain = await caller.call("GET", "triggers/limited")
    assert "stats" not in plain


async def test_a_rate_limited_web_action_refuses_the_excess_and_counts_it(
    caller: Caller, session: aiohttp.ClientSession
) -> None:
    body = {
        "exec": {"kind": "python:3.11", "code": ECHO},
        "annotations": [{"key": "web-export", "value": True}, *LIMIT],
    }
    status, reply = await caller.call("PUT", "actions/webby", body)
    assert status == 200, reply
    web = await web_for(caller)
    statuses = []
    for _ in range(4):
        async with session.get(web.url("webby") + ".json") as resp:
            statuses.append(resp.status)
    assert statuses == [200, 200, 200, 429], statuses
    status, action = await caller.call("GET", "actions/webby", stats="true")
    assert action["stats"]["lastMinute"] == {"accepted": 3, "throttled": 1, "failed": 0}
