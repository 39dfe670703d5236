"""Triggers and rules: the rules map on the trigger, status, and atomic links."""

from __future__ import annotations

from tests.api.conftest import Api, action_body

NS = "/api/v1/namespaces/_"


async def _setup(api: Api) -> None:
    await api.guest.call("PUT", f"{NS}/actions/hello", action_body())
    await api.guest.call("PUT", f"{NS}/triggers/t", {"parameters": [{"key": "x", "value": 1}]})


async def test_rule_create_links_trigger_and_is_active(api: Api) -> None:
    await _setup(api)
    resp = await api.guest.call("PUT", f"{NS}/rules/r", {"trigger": "/_/t", "action": "/_/hello"})
    assert resp.status == 200
    rule = await resp.json()
    assert rule["status"] == "active"
    assert rule["trigger"] == {"path": "guest", "name": "t"}
    assert rule["action"] == {"path": "guest", "name": "hello"}
    trigger = await (await api.guest.call("GET", f"{NS}/triggers/t")).json()
    assert trigger["rules"] == {
        "guest/r": {"action": {"path": "guest", "name": "hello"}, "status": "active"}
    }
    assert trigger["parameters"] == [{"key": "x", "value": 1}]


async def test_rule_status_toggles(api: Api) -> None:
    await _setup(api)
    await api.guest.call("PUT", f"{NS}/rules/r", {"trigger": "t", "action": "hello"})
    for status in ("inactive", "inactive", "active"):
        resp = await api.guest.call("POST", f"{NS}/rules/r", {"status": status})
        assert resp.status == 200
        rule = await (await api.guest.call("GET", f"{NS}/rules/r")).json()
        assert rule["status"] == status
    resp = await api.guest.call("POST", f"{NS}/rules/r", {"status": "sleeping"})
    assert resp.status == 400


async def test_rule_needs_existing_trigger_and_action(api: Api) -> None:
    await _setup(api)
    resp = await api.guest.call(
        "PUT", f"{NS}/rules/r", {"trigger": "/_/nope", "action": "/_/hello"}
    )
    assert resp.status == 400
    resp = await api.guest.call("PUT", f"{NS}/rules/r", {"trigger": "/_/t", "action": "/_/nope"})
    assert resp.status == 400
    assert (await api.guest.call("GET", f"{NS}/rules/r")).status == 404
    trigger = await (await api.guest.call("GET", f"{NS}/triggers/t")).json()
    assert "rules" not in trigger


async def test_rule_delete_unlinks_trigger(api: Api) -> None:
    await _setup(api)
    await api.guest.call("PUT", f"{NS}/rules/r", {"trigger": "/_/t", "action": "/_/hello"})
    resp = await api.guest.call("DELETE", f"{NS}/rules/r")
    assert resp.status == 200
    assert (await resp.json())["status"] == "inactive"
    trigger = await (await api.guest.call("GET", f"{NS}/triggers/t")).json()
    assert "rules" not in trigger


async def test_rule_update_moves_between_triggers(api: Api) -> None:
    await _setup(api)
    await api.guest.call("PUT", f"{NS}/triggers/t2", {})
    await api.guest.call("PUT", f"{NS}/rules/r", {"trigger": "/_/t", "action": "/_/hello"})
    resp = await api.guest.call("PUT", f"{NS}/rules/r?overwrite=true", {"trigger": "/_/t2"})
    assert resp.status == 200
    assert (await resp.json())["version"] == "0.0.2"
    t1 = await (await api.guest.call("GET", f"{NS}/triggers/t")).json()
    t2 = await (await api.guest.call("GET", f"{NS}/triggers/t2")).json()
    assert "rules" not in t1 and "guest/r" in t2["rules"]


async def test_rule_status_without_trigger_is_404(api: Api) -> None:
    await _setup(api)
    await api.guest.call("PUT", f"{NS}/rules/r", {"trigger": "/_/t", "action": "/_/hello"})
    await api.guest.call("DELETE", f"{NS}/triggers/t")
    resp = await api.guest.call("POST", f"{NS}/rules/r", {"status": "active"})
    assert resp.status == 404
    rule = await (await api.guest.call("GET", f"{NS}/rules/r")).json()
    assert rule["status"] == "inactive"


async def test_trigger_feed_annotation_must_be_a_name(api: Api) -> None:
    resp = await api.guest.call(
        "PUT",
        f"{NS}/triggers/t",
        {"annotations": [{"key": "feed", "value": "/whisk.system/alarms/alarm"}]},
    )
    assert resp.status == 200
    resp = await api.guest.call(
        "PUT", f"{NS}/triggers/u", {"annotations": [{"key": "feed", "value": "/a/b/c/d"}]}
    )
    assert resp.status == 400
    assert (await resp.json())["error"] == "Feed name is not valid"


async def test_name_in_another_collection_conflicts(api: Api) -> None:
    await _setup(api)
    resp = await api.guest.call("PUT", f"{NS}/triggers/hello", {})
    assert resp.status == 409
    assert (await resp.json())["error"] == (
        "Resource by this name exists but is not in this collection."
    )
    # as OpenWhisk: reading a name of another collection is a conflict too
    assert (await api.guest.call("GET", f"{NS}/triggers/hello")).status == 409
