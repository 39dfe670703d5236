"""``GET /namespaces/{ns}/usage``: the namespace's metered usage, in total and per action, over
the hour buckets overlapping ``[since, upto]``; only for the key's own namespace."""

from __future__ import annotations

from tests.api.conftest import Api
from whisk.usage import HOUR_MS, UsageDelta

T0 = 1_764_720_000_000  # an hour boundary
USAGE = "/api/v1/namespaces/_/usage"


async def seed(api: Api) -> None:
    await api.store.put_activations(
        [],
        [
            UsageDelta("guest", "hello", T0, 3, 30, 30 * 256, 1, 1),
            UsageDelta("guest", "hello", T0 + HOUR_MS, 1, 4, 4 * 256, 0, 0),
            UsageDelta("guest", "tools/cat", T0 + HOUR_MS, 2, 1000, 1000 * 1024, 2, 0),
            UsageDelta("other", "theirs", T0, 9, 9, 9 * 128, 0, 0),
        ],
    )


async def test_usage_sums_the_namespace_and_each_action(api: Api) -> None:
    await seed(api)
    resp = await api.guest.call("GET", USAGE)
    assert resp.status == 200
    body = await resp.json()
    assert body == {
        "namespace": "guest",
        "since": None,
        "upto": None,
        "activations": 6,
        "billedMs": 1034,
        "gbSeconds": (34 * 256 + 1000 * 1024) / 1024 / 1000,
        "coldStarts": 3,
        "errors": 1,
        "actions": [
            {
                "name": "hello",
                "activations": 4,
                "billedMs": 34,
                "gbSeconds": 34 * 256 / 1024 / 1000,
                "coldStarts": 1,
                "errors": 1,
            },
            {
                "name": "tools/cat",
                "activations": 2,
                "billedMs": 1000,
                "gbSeconds": 1.0,
                "coldStarts": 2,
                "errors": 0,
            },
        ],
    }


async def test_usage_takes_the_hours_overlapping_the_window(api: Api) -> None:
    await seed(api)
    resp = await api.guest.call("GET", USAGE, params={"since": T0 + HOUR_MS + 5})
    body = await resp.json()
    assert (body["since"], body["upto"], body["activations"]) == (T0 + HOUR_MS + 5, None, 3)
    resp = await api.guest.call("GET", USAGE, params={"since": T0 - 1, "upto": T0 + 1})
    body = await resp.json()
    assert body["activations"] == 3 and [a["name"] for a in body["actions"]] == ["hello"]
    resp = await api.guest.call("GET", USAGE, params={"upto": T0 - 1})
    assert (await resp.json())["activations"] == 0


async def test_usage_of_a_namespace_without_activations_is_zero(api: Api) -> None:
    body = await (await api.guest.call("GET", "/api/v1/namespaces/guest/usage")).json()
    assert body["activations"] == 0 and body["gbSeconds"] == 0 and body["actions"] == []


async def test_usage_is_only_for_the_own_namespace(api: Api) -> None:
    await seed(api)
    assert (await api.guest.call("GET", "/api/v1/namespaces/other/usage")).status == 403
    assert (await api.client.get(USAGE)).status == 401
    theirs = await (await api.other.call("GET", USAGE)).json()
    assert theirs["namespace"] == "other" and theirs["activations"] == 9


async def test_usage_refuses_bad_windows_in_openwhisk_shape(api: Api) -> None:
    for params in ({"since": "yesterday"}, {"upto": "-5"}, {"since": "10", "upto": "5"}):
        resp = await api.guest.call("GET", USAGE, params=params)
        assert resp.status == 400, params
        body = await resp.json()
        assert set(body) == {"error", "code"} and body["error"], body


async def test_usage_is_in_the_served_openapi_document(api: Api) -> None:
    doc = await (await api.client.get("/api/v1/api-docs")).json()
    op = doc["paths"]["/namespaces/{namespace}/usage"]["get"]
    assert [p["name"] for p in op["parameters"]] == ["namespace", "since", "upto"]
    schema = op["responses"]["200"]["schema"]
    assert {"gbSeconds", "billedMs", "actions"} <= set(schema["properties"])
