"""Actions through the REST API: shapes, versions, updates, and every bad input."""

from __future__ import annotations

import base64
import io
import zipfile

from tests.api.conftest import Api, action_body

BASE = "/api/v1/namespaces/_/actions"


async def test_action_create_returns_openwhisk_shape(api: Api) -> None:
    resp = await api.guest.call("PUT", f"{BASE}/hello?", action_body())
    assert resp.status == 200
    body = await resp.json()
    assert body["namespace"] == "guest"
    assert body["name"] == "hello"
    assert body["version"] == "0.0.1"
    assert body["publish"] is False
    assert body["exec"] == {"kind": "python:3.11", "code": body["exec"]["code"], "binary": False}
    assert body["limits"] == {"timeout": 60000, "memory": 256, "logs": 10, "concurrency": 1}
    assert {"key": "exec", "value": "python:3.11"} in body["annotations"]
    assert {"key": "provide-api-key", "value": False} in body["annotations"]
    assert isinstance(body["updated"], int)


async def test_action_update_bumps_version_and_merges_limits(api: Api) -> None:
    await api.guest.call("PUT", f"{BASE}/hello", action_body(limits={"memory": 512}))
    resp = await api.guest.call(
        "PUT", f"{BASE}/hello?overwrite=true", {"limits": {"timeout": 1000}}
    )
    body = await resp.json()
    assert resp.status == 200
    assert body["version"] == "0.0.2"
    assert body["limits"]["memory"] == 512 and body["limits"]["timeout"] == 1000
    assert body["exec"]["code"]  # exec kept when absent from the update


async def test_action_create_without_overwrite_conflicts(api: Api) -> None:
    await api.guest.call("PUT", f"{BASE}/hello", action_body())
    resp = await api.guest.call(
        "PUT", f"{BASE}/hello", action_body(parameters=[{"key": "a", "value": 1}])
    )
    assert resp.status == 409
    assert (await resp.json())["error"] == "resource already exists"
    stored = await (await api.guest.call("GET", f"{BASE}/hello")).json()
    assert stored["parameters"] == [] and stored["version"] == "0.0.1"


async def test_action_default_kind_resolves(api: Api) -> None:
    resp = await api.guest.call(
        "PUT", f"{BASE}/n", {"exec": {"kind": "nodejs:default", "code": "function main(){}"}}
    )
    assert resp.status == 200
    assert (await resp.json())["exec"]["kind"] == "nodejs:20"


async def test_action_zip_sent_as_bare_base64_is_binary(api: Api) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("__main__.py", "def main(a):\n    return a\n")
    code = base64.b64encode(buf.getvalue()).decode()
    resp = await api.guest.call("PUT", f"{BASE}/z", {"exec": {"kind": "python:3", "code": code}})
    assert (await resp.json())["exec"]["binary"] is True


async def test_action_get_without_code(api: Api) -> None:
    await api.guest.call("PUT", f"{BASE}/hello", action_body())
    body = await (await api.guest.call("GET", f"{BASE}/hello?code=false")).json()
    assert "code" not in body["exec"]
    assert body["exec"]["kind"] == "python:3.11"


async def test_action_list_summaries_and_count(api: Api) -> None:
    for name in ("a", "b", "c"):
        await api.guest.call("PUT", f"{BASE}/{name}", action_body())
    listed = await (await api.guest.call("GET", f"{BASE}?limit=2")).json()
    assert [a["name"] for a in listed] == ["c", "b"]
    assert listed[0]["exec"] == {"binary": False}
    assert "parameters" not in listed[0]
    count = await (await api.guest.call("GET", f"{BASE}?count=true")).json()
    assert count == {"actions": 3}


async def test_action_delete_returns_entity_then_404(api: Api) -> None:
    await api.guest.call("PUT", f"{BASE}/hello", action_body())
    resp = await api.guest.call("DELETE", f"{BASE}/hello")
    assert resp.status == 200 and (await resp.json())["name"] == "hello"
    assert (await api.guest.call("GET", f"{BASE}/hello")).status == 404


async def test_action_invoke_answers_503_without_invocation_path(api: Api) -> None:
    await api.guest.call("PUT", f"{BASE}/hello", action_body())
    resp = await api.guest.call("POST", f"{BASE}/hello?blocking=true", {})
    assert resp.status == 503
    assert set(await resp.json()) == {"error", "code"}


# -- bad input -------------------------------------------------------------------------------


async def test_malformed_json_is_400(api: Api) -> None:
    resp = await api.guest.call("PUT", f"{BASE}/hello", raw=b"{not json")
    assert resp.status == 400
    body = await resp.json()
    assert body["error"].startswith("The request content was malformed")
    assert (await api.guest.call("GET", f"{BASE}/hello")).status == 404


async def test_wrong_types_are_400(api: Api) -> None:
    for bad in (
        action_body(publish="yes"),
        action_body(parameters="x=1"),
        action_body(limits={"memory": "big"}),
        {"exec": "python"},
        [1, 2],
    ):
        resp = await api.guest.call("PUT", f"{BASE}/hello", bad)
        assert resp.status == 400, bad
    assert (await api.guest.call("GET", f"{BASE}/hello")).status == 404


async def test_invalid_name_is_400(api: Api) -> None:
    resp = await api.guest.call("PUT", f"{BASE}/bad$name", action_body())
    assert resp.status == 400
    assert "illegal characters" in (await resp.json())["error"]
    resp = await api.guest.call("PUT", f"{BASE}/{'x' * 257}", action_body())
    assert resp.status == 400


async def test_missing_exec_is_400(api: Api) -> None:
    resp = await api.guest.call("PUT", f"{BASE}/hello", {})
    assert resp.status == 400
    assert (await resp.json())["error"] == "exec undefined"


async def test_oversize_parameters_are_413(api: Api) -> None:
    big = [{"key": "blob", "value": "x" * (1024 * 1024 + 10)}]
    resp = await api.guest.call("PUT", f"{BASE}/hello", action_body(parameters=big))
    assert resp.status == 413
    assert (await resp.json())["error"].startswith("parameters larger than allowed")
    assert (await api.guest.call("GET", f"{BASE}/hello")).status == 404


async def test_oversize_request_is_413(api: Api) -> None:
    # the test app allows 4 MB per request
    resp = await api.guest.call("PUT", f"{BASE}/hello", raw=b" " * (5 * 1024 * 1024))
    assert resp.status == 413
    assert set(await resp.json()) == {"error", "code"}


async def test_missing_and_wrong_credentials_are_401(api: Api) -> None:
    resp = await api.client.get(BASE)
    assert resp.status == 401
    assert resp.headers["WWW-Authenticate"].startswith("Basic")
    assert set(await resp.json()) == {"error", "code"}
    wrong = api.guest.key[:-1] + ("a" if api.guest.key[-1] != "a" else "b")
    token = base64.b64encode(wrong.encode()).decode()
    resp = await api.client.get(BASE, headers={"Authorization": f"Basic {token}"})
    assert resp.status == 401


async def test_another_namespace_is_403(api: Api) -> None:
    await api.guest.call("PUT", "/api/v1/namespaces/guest/actions/hello", action_body())
    for method, body in (("GET", None), ("PUT", action_body()), ("DELETE", None)):
        resp = await api.other.call(method, "/api/v1/namespaces/guest/actions/hello", body)
        assert resp.status == 403, method
    resp = await api.other.call("GET", "/api/v1/namespaces/guest/actions")
    assert resp.status == 403
    assert (await api.guest.call("GET", f"{BASE}/hello")).status == 200


async def test_sequence_components_are_checked(api: Api) -> None:
    await api.guest.call("PUT", f"{BASE}/a", action_body())
    resp = await api.guest.call(
        "PUT", f"{BASE}/s", {"exec": {"kind": "sequence", "components": ["/_/a", "/_/missing"]}}
    )
    assert resp.status == 400
    assert (await resp.json())["error"] == "Sequence component does not exist."
    resp = await api.guest.call(
        "PUT", f"{BASE}/s", {"exec": {"kind": "sequence", "components": ["/_/a", "/_/a"]}}
    )
    body = await resp.json()
    assert resp.status == 200
    assert body["exec"] == {"kind": "sequence", "components": ["/guest/a", "/guest/a"]}
    assert {"key": "_actions", "value": ["/guest/a", "/guest/a"]} in body["parameters"]
    resp = await api.guest.call(
        "PUT", f"{BASE}/s?overwrite=true", {"exec": {"kind": "sequence", "components": ["/_/s"]}}
    )
    assert resp.status == 400
    assert (await resp.json())["error"] == "Sequence may not refer to itself."


async def test_action_with_empty_code_is_created(api: Api) -> None:
    body = {"exec": {"kind": "python:3.11", "code": ""}}
    resp = await api.guest.call("PUT", f"{BASE}/empty", body)
    assert resp.status == 200
    assert (await resp.json())["exec"] == {"kind": "python:3.11", "code": "", "binary": False}
    got = await (await api.guest.call("GET", f"{BASE}/empty")).json()
    assert got["exec"]["code"] == ""


async def test_action_with_missing_or_non_string_code_is_400(api: Api) -> None:
    for exec_ in ({"kind": "nodejs:default"}, {"kind": "nodejs:default", "code": 7}):
        resp = await api.guest.call("PUT", f"{BASE}/nocode", {"exec": exec_})
        assert resp.status == 400
        assert (await resp.json())["error"] == (
            "The request content was malformed:\n"
            "'code' must be a string defined in 'exec' for 'nodejs:default' actions"
        )
