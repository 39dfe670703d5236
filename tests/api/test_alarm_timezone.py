"""The alarm feed's ``timezone`` checked at CREATE and UPDATE: a name that is not an IANA zone
is a 400 in OpenWhisk's error shape, and nothing is registered or changed."""

from __future__ import annotations

from typing import Any

from tests.api.conftest import Api

FEED = "/api/v1/feeds/alarms/alarm"


async def lifecycle(api: Api, event: str, **params: Any) -> tuple[int, Any]:
    body = {"lifecycleEvent": event, "triggerName": "/_/tick", **params}
    resp = await api.guest.call("POST", FEED, body)
    return resp.status, await resp.json()


async def test_alarm_timezone_is_checked_at_create_and_update(api: Api) -> None:
    resp = await api.guest.call("PUT", "/api/v1/namespaces/_/triggers/tick", {})
    assert resp.status == 200

    status, body = await lifecycle(api, "CREATE", cron="0 9 * * *", timezone="Mars/Olympus")
    assert status == 400
    assert set(body) == {"error", "code"} and "Mars/Olympus" in body["error"]
    assert await api.persistence.feeds.get_feed("guest", "tick") is None

    status, body = await lifecycle(api, "CREATE", cron="0 9 * * *", timezone="America/New_York")
    assert (status, body) == (200, {"status": "success"})

    status, body = await lifecycle(api, "UPDATE", timezone="Europe/Nowhere")
    assert status == 400 and "Europe/Nowhere" in body["error"]
    reg = await api.persistence.feeds.get_feed("guest", "tick")
    assert reg is not None and reg.params["timezone"] == "America/New_York"

    status, body = await lifecycle(api, "READ")
    assert status == 200 and body["config"]["timezone"] == "America/New_York"
