"""Packages, bindings, published packages and force delete through the REST API."""

from __future__ import annotations

from tests.api.conftest import Api, action_body

PKGS = "/api/v1/namespaces/_/packages"
ACTS = "/api/v1/namespaces/_/actions"


async def test_package_get_lists_actions_and_feeds(api: Api) -> None:
    resp = await api.guest.call("PUT", f"{PKGS}/utils", {"parameters": [{"key": "p", "value": 1}]})
    assert resp.status == 200
    assert (await resp.json())["binding"] == {}
    await api.guest.call("PUT", f"{ACTS}/utils/echo", action_body())
    await api.guest.call(
        "PUT", f"{ACTS}/utils/changes", action_body(annotations=[{"key": "feed", "value": True}])
    )
    body = await (await api.guest.call("GET", f"{PKGS}/utils")).json()
    assert [a["name"] for a in body["actions"]] == ["echo"]
    assert [f["name"] for f in body["feeds"]] == ["changes"]
    assert body["actions"][0]["version"] == "0.0.1"
    listed = await (await api.guest.call("GET", f"{ACTS}/utils/")).json()
    assert {a["name"] for a in listed} == {"echo", "changes"}
    assert listed[0]["namespace"] == "guest/utils"


async def test_package_action_needs_existing_package(api: Api) -> None:
    resp = await api.guest.call("PUT", f"{ACTS}/nopkg/echo", action_body())
    assert resp.status == 404


async def test_package_default_name_is_reserved(api: Api) -> None:
    resp = await api.guest.call("PUT", f"{PKGS}/default", {})
    assert resp.status == 400


async def test_package_delete_nonempty_needs_force(api: Api) -> None:
    await api.guest.call("PUT", f"{PKGS}/utils", {})
    await api.guest.call("PUT", f"{ACTS}/utils/echo", action_body())
    resp = await api.guest.call("DELETE", f"{PKGS}/utils")
    assert resp.status == 409
    assert "Package not empty (contains 1 entity)" in (await resp.json())["error"]
    assert (await api.guest.call("GET", f"{ACTS}/utils/echo")).status == 200
    resp = await api.guest.call("DELETE", f"{PKGS}/utils?force=true")
    assert resp.status == 200
    assert (await api.guest.call("GET", f"{ACTS}/utils/echo")).status == 404
    assert (await api.guest.call("GET", f"{PKGS}/utils")).status == 404


async def test_binding_merges_parameters_and_exposes_actions(api: Api) -> None:
    await api.guest.call(
        "PUT", f"{PKGS}/utils", {"parameters": [{"key": "a", "value": 1}, {"key": "b", "value": 1}]}
    )
    await api.guest.call("PUT", f"{ACTS}/utils/echo", action_body())
    resp = await api.guest.call(
        "PUT",
        f"{PKGS}/mine",
        {"binding": {"namespace": "_", "name": "utils"}, "parameters": [{"key": "b", "value": 2}]},
    )
    assert resp.status == 200
    assert (await resp.json())["binding"] == {"namespace": "guest", "name": "utils"}
    body = await (await api.guest.call("GET", f"{PKGS}/mine")).json()
    assert {p["key"]: p["value"] for p in body["parameters"]} == {"a": 1, "b": 2}
    assert [a["name"] for a in body["actions"]] == ["echo"]
    got = await api.guest.call("GET", f"{ACTS}/mine/echo")
    assert got.status == 200
    resp = await api.guest.call("PUT", f"{ACTS}/mine/new", action_body())
    assert resp.status == 400
    assert (await resp.json())["error"] == "Operation not permitted on package binding."
    listed = await (await api.guest.call("GET", PKGS)).json()
    by_name = {p["name"]: p["binding"] for p in listed}
    assert by_name == {"mine": {"namespace": "guest", "name": "utils"}, "utils": False}


async def test_binding_to_missing_package_is_400(api: Api) -> None:
    resp = await api.guest.call(
        "PUT", f"{PKGS}/mine", {"binding": {"namespace": "_", "name": "nope"}}
    )
    assert resp.status == 400
    assert (await resp.json())["error"] == "Binding references a package that does not exist."
    assert (await api.guest.call("GET", f"{PKGS}/mine")).status == 404


async def test_published_package_is_readable_from_another_namespace(api: Api) -> None:
    await api.guest.call("PUT", f"{PKGS}/shared", {"publish": True})
    await api.guest.call("PUT", f"{PKGS}/private", {})
    await api.guest.call("PUT", f"{ACTS}/shared/echo", action_body())
    await api.guest.call("PUT", f"{ACTS}/private/echo", action_body())
    other = "/api/v1/namespaces/guest"
    listed = await (await api.other.call("GET", f"{other}/packages")).json()
    assert [p["name"] for p in listed] == ["shared"]
    assert (await api.other.call("GET", f"{other}/packages/shared")).status == 200
    assert (await api.other.call("GET", f"{other}/actions/shared/echo")).status == 200
    assert (await api.other.call("GET", f"{other}/packages/private")).status == 403
    assert (await api.other.call("GET", f"{other}/actions/private/echo")).status == 403
    resp = await api.other.call(
        "PUT",
        "/api/v1/namespaces/_/packages/b",
        {"binding": {"namespace": "guest", "name": "shared"}},
    )
    assert resp.status == 200
    resp = await api.other.call(
        "PUT",
        "/api/v1/namespaces/_/packages/c",
        {"binding": {"namespace": "guest", "name": "private"}},
    )
    assert resp.status == 403
    assert (await api.other.call("DELETE", f"{other}/packages/shared")).status == 403
