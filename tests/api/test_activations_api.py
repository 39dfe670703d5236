"""Activation reads: list filters and paging, count/docs, get, result, logs."""

from __future__ import annotations

from tests.api.conftest import Api
from whisk.entities.activation import Activation, ActivationId, success
from whisk.store.ports import ActivationRecord, Store
from whisk.store.records import activation_record

BASE = "/api/v1/namespaces/_/activations"


async def _record(
    store: Store, name: str, start: int, package: str | None = None, ns: str = "guest"
) -> str:
    aid = ActivationId.new()
    activation = Activation.pending(
        namespace=ns,
        name=name,
        version="0.0.1",
        subject=ns,
        activation_id=aid,
        start=start,
        annotations=[{"key": "path", "value": f"{ns}/{package + '/' if package else ''}{name}"}],
    ).completed(success({"n": start}), end=start + 5, logs=[f"2026-01-01T00:00:00Z stdout: {name}"])
    await store.put_activation(
        ActivationRecord(
            activation_id=str(aid),
            namespace=ns,
            name=name,
            package=package,
            start=start,
            end=start + 5,
            status_code=0,
            doc=activation.to_stored_doc(),
        )
    )
    return str(aid)


async def test_activation_list_filters_and_pages(api: Api) -> None:
    ids = [await _record(api.store, "a" if i % 2 else "b", 1000 + i) for i in range(6)]
    await _record(api.store, "a", 2000, package="pkg")
    await _record(api.store, "a", 3000, ns="other")
    listed = await (await api.guest.call("GET", f"{BASE}?")).json()
    assert len(listed) == 7
    assert listed[0]["start"] == 2000  # newest first
    assert listed[1]["activationId"] == ids[5]
    assert "response" not in listed[1] and listed[1]["statusCode"] == 0
    assert listed[1]["duration"] == 5
    only_a = await (await api.guest.call("GET", f"{BASE}?name=a")).json()
    assert {x["start"] for x in only_a} == {1001, 1003, 1005}  # not pkg/a
    in_pkg = await (await api.guest.call("GET", f"{BASE}?name=pkg/a")).json()
    assert [x["start"] for x in in_pkg] == [2000]
    window = await (await api.guest.call("GET", f"{BASE}?since=1002&upto=1004")).json()
    assert [x["start"] for x in window] == [1004, 1003, 1002]
    paged = await (await api.guest.call("GET", f"{BASE}?skip=1&limit=2")).json()
    assert [x["start"] for x in paged] == [1005, 1004]
    count = await (await api.guest.call("GET", f"{BASE}?count=true&name=a")).json()
    assert count == {"activations": 3}
    docs = await (await api.guest.call("GET", f"{BASE}?docs=true&limit=1")).json()
    assert docs[0]["response"] == {"status": "success", "success": True, "result": {"n": 2000}}


async def test_activation_get_result_and_logs(api: Api) -> None:
    aid = await _record(api.store, "hello", 5000)
    body = await (await api.guest.call("GET", f"{BASE}/{aid}")).json()
    assert body["activationId"] == aid
    assert body["response"]["result"] == {"n": 5000}
    assert body["end"] == 5005 and body["duration"] == 5
    result = await (await api.guest.call("GET", f"{BASE}/{aid}/result")).json()
    assert result == {"status": "success", "success": True, "result": {"n": 5000}}
    logs = await (await api.guest.call("GET", f"{BASE}/{aid}/logs")).json()
    assert logs == {"logs": ["2026-01-01T00:00:00Z stdout: hello"]}


async def test_activation_of_another_namespace_is_hidden(api: Api) -> None:
    aid = await _record(api.store, "hello", 5000, ns="other")
    assert (await api.guest.call("GET", f"{BASE}/{aid}")).status == 404
    resp = await api.guest.call("GET", f"/api/v1/namespaces/other/activations/{aid}")
    assert resp.status == 403


async def _pending(store: Store, name: str, start: int) -> str:
    aid = ActivationId.new()
    running = Activation.pending(
        namespace="guest", name=name, version="0.0.1", subject="guest", activation_id=aid,
        start=start, annotations=[{"key": "path", "value": f"guest/{name}"}],
    )  # fmt: skip
    await store.put_activation(activation_record(running, None))
    return str(aid)


async def test_running_activation_is_404_as_openwhisk_until_it_ends(api: Api) -> None:
    # given one finished and one running activation
    done = await _record(api.store, "hello", 1000)
    running = await _pending(api.store, "hello", 2000)

    # then the running one does not exist yet, nor its logs or result
    for suffix in ("", "/logs", "/result"):
        resp = await api.guest.call("GET", f"{BASE}/{running}{suffix}")
        assert resp.status == 404, suffix
        assert (await resp.json())["error"] == "The requested resource does not exist."
    listed = await (await api.guest.call("GET", BASE)).json()
    assert [x["activationId"] for x in listed] == [done]
    count = await api.guest.call("GET", f"{BASE}?count=true")
    assert await count.json() == {"activations": 1}
    assert (await api.guest.call("GET", f"{BASE}/{done}")).status == 200


async def test_pending_view_is_opt_in_with_pending_true(api: Api) -> None:
    done = await _record(api.store, "hello", 1000)
    running = await _pending(api.store, "hello", 2000)

    body = await (await api.guest.call("GET", f"{BASE}/{running}?pending=true")).json()
    assert body["response"] == {"status": "pending", "success": False}
    assert "end" not in body
    result = await api.guest.call("GET", f"{BASE}/{running}/result?pending=true")
    assert await result.json() == {"status": "pending", "success": False}
    logs = await api.guest.call("GET", f"{BASE}/{running}/logs?pending=true")
    assert await logs.json() == {"logs": []}
    listed = await (await api.guest.call("GET", f"{BASE}?pending=true")).json()
    assert [x["activationId"] for x in listed] == [running, done]
    assert "statusCode" not in listed[0]
    count = await api.guest.call("GET", f"{BASE}?count=true&pending=true")
    assert await count.json() == {"activations": 2}
