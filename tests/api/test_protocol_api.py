"""What every route shares: info routes, CORS, request ids, empty queries, client headers."""

from __future__ import annotations

from typing import Any

from tests.api.conftest import Api, action_body


async def test_root_info_lists_limits_and_runtimes(api: Api) -> None:
    body = await (await api.client.get("/")).json()
    assert body["api_paths"] == ["/api/v1"]
    assert body["limits"]["max_action_memory"] == 512 * 1024 * 1024
    kinds = {k["kind"]: k for family in body["runtimes"].values() for k in family}
    assert kinds["python:3.11"]["default"] is True
    assert "nodejs:20" in kinds


OPENWHISK_LIMITS = (
    "actions_per_minute", "triggers_per_minute", "concurrent_actions", "sequence_length",
    "default_min_action_duration", "default_max_action_duration", "default_min_action_memory",
    "default_max_action_memory", "default_min_action_logs", "default_max_action_logs",
    "min_action_duration", "max_action_duration", "min_action_memory", "max_action_memory",
    "min_action_logs", "max_action_logs",
)  # fmt: skip


async def test_root_info_limits_are_openwhisks_fields_as_integers(api: Api) -> None:
    limits = (await (await api.client.get("/")).json())["limits"]
    assert tuple(limits) == OPENWHISK_LIMITS
    assert all(type(v) is int for v in limits.values())
    mb = 1024 * 1024
    assert limits == {
        "actions_per_minute": 60, "triggers_per_minute": 60, "concurrent_actions": 30,
        "sequence_length": 50,
        "default_min_action_duration": 100, "default_max_action_duration": 300_000,
        "default_min_action_memory": 128 * mb, "default_max_action_memory": 512 * mb,
        "default_min_action_logs": 0, "default_max_action_logs": 10 * mb,
        "min_action_duration": 100, "max_action_duration": 300_000,
        "min_action_memory": 128 * mb, "max_action_memory": 512 * mb,
        "min_action_logs": 0, "max_action_logs": 10 * mb,
    }  # fmt: skip


async def test_api_info_ping_and_openapi(api: Api) -> None:
    body = await (await api.client.get("/api/v1")).json()
    assert body["api_version"] == "1.0.0"
    assert await (await api.client.get("/ping")).text() == "pong"
    doc = await (await api.client.get("/api/v1/api-docs")).json()
    # OpenWhisk's swagger 2.0 shape: its paths, parameter names and security definition
    assert doc["swagger"] == "2.0" and doc["basePath"] == "/api/v1"
    assert doc["securityDefinitions"] == {"basicAuth": {"type": "basic"}}
    assert "/namespaces/{namespace}/actions/{packageName}/{actionName}" in doc["paths"]
    assert "post" in doc["paths"]["/namespaces/{namespace}/triggers/{triggerName}"]


async def test_namespaces_and_limits(api: Api) -> None:
    assert await (await api.guest.call("GET", "/api/v1/namespaces")).json() == ["guest"]
    limits = await (await api.guest.call("GET", "/api/v1/namespaces/_/limits")).json()
    assert limits["invocationsPerMinute"] == 60 and limits["maxActionMemory"] == 512
    assert (await api.guest.call("GET", "/api/v1/namespaces/other/limits")).status == 403


async def test_request_id_is_reused_and_cors_is_set(api: Api) -> None:
    resp = await api.guest.call(
        "GET", "/api/v1/namespaces/_/actions", headers={"X-Request-ID": "abc123"}
    )
    assert resp.headers["X-Request-ID"] == "abc123"
    assert resp.headers["Access-Control-Allow-Origin"] == "*"
    resp = await api.client.options("/api/v1/namespaces/_/actions")
    assert resp.status == 200
    assert "PUT" in resp.headers["Access-Control-Allow-Methods"]
    resp = await api.guest.call("GET", "/api/v1/namespaces/_/actions/missing")
    assert (await resp.json())["code"] == resp.headers["X-Request-ID"]


async def test_npm_client_habits_are_accepted(api: Api) -> None:
    # the openwhisk npm client ends every URL in '?', sends x-namespace-id, puts the name
    # in the body and sends '<lang>:default' kinds
    resp = await api.guest.call(
        "PUT",
        "/api/v1/namespaces/_/actions/hello?",
        {
            "name": "hello",
            "namespace": "ignored",
            **action_body(exec={"kind": "python:default", "code": "def main(a): return a"}),
        },
        headers={"x-namespace-id": "_"},
    )
    assert resp.status == 200
    body = await resp.json()
    assert body["namespace"] == "guest" and body["exec"]["kind"] == "python:3.11"


async def test_unknown_route_is_404_in_openwhisk_shape(api: Api) -> None:
    resp = await api.guest.call("GET", "/api/v1/namespaces/_/nothing")
    assert resp.status == 404
    assert (await resp.json())["error"] == "The requested resource does not exist."


async def test_invoker_admin_routes_report_health(api: Api) -> None:
    # the test app has no load balancer: no invoker is known, so it is not ready
    assert await (await api.client.get("/invokers")).json() == {}
    assert await (await api.client.get("/invokers/healthy/count")).json() == 0
    resp = await api.client.get("/invokers/ready")
    assert resp.status == 500
    assert await resp.json() == {"unhealthy": "0/0"}


async def test_api_docs_name_the_callers_namespaces_when_asked_with_a_key(api: Api) -> None:
    def namespace_of(doc: dict[str, Any], path: str, method: str) -> dict[str, Any]:
        item = doc["paths"][path]
        params = [*item[method]["parameters"], *item.get("parameters", [])]
        return next(p for p in params if p["name"] == "namespace")

    anonymous = await (await api.client.get("/api/v1/api-docs")).json()
    mine = await (await api.guest.call("GET", "/api/v1/api-docs")).json()
    put = ("/namespaces/{namespace}/triggers/{triggerName}", "put")
    shared = ("/namespaces/{namespace}/packages", "get")  # others' published packages
    assert "enum" not in namespace_of(anonymous, *put)
    assert namespace_of(mine, *put)["enum"] == ["_", "guest"]
    assert "enum" not in namespace_of(mine, *shared)
    bad = {"Authorization": "Basic bm90OmF1c2Vy"}  # a key nobody has: still the open document
    assert await (await api.client.get("/api/v1/api-docs", headers=bad)).json() == anonymous
