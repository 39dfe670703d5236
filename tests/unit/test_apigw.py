"""The API gateway's pure parts (controller/apigw/swagger.py and matching.py), with literal
documents: OpenWhisk's operation ids, documents edited as routemgmt edits them, and which
operation a request names."""

from __future__ import annotations

from typing import Any

from controller.apigw import swagger as sw
from controller.apigw.matching import cors_enabled, find_route, target_of
from whisk.store.ports import StoredApi

HOST = "http://localhost:3233"


def endpoint(relpath: str, method: str, action: str = "hello", **extra: Any) -> dict[str, Any]:
    return {
        "gatewayPath": relpath,
        "gatewayMethod": method,
        "action": {
            "name": action,
            "namespace": "guest",
            "backendMethod": method,
            "backendUrl": f"{HOST}/api/v1/web/guest/default/{action}.http",
            "authkey": "k",
            **extra,
        },
    }


def api_of(doc: dict[str, Any], base: str = "/club") -> StoredApi:
    return StoredApi("guest", base, "n", doc, sw.actions_called(doc))


def test_operation_ids_are_openwhisks() -> None:
    assert sw.operation_id("GET", "/world") == "getWorld"
    assert sw.operation_id("put", "/books/{isbn}") == "putBooksIsbn"
    assert sw.operation_id("get", "/a-b/c_d/E.f") == "getA-bC_dEF"
    assert sw.operation_id("post", "/") == "post"


def test_action_names_split_as_routemgmt_splits_them() -> None:
    assert sw.split_action_name("hello") == ("", "", "hello")
    assert sw.split_action_name("pkg/hello") == ("", "pkg", "hello")
    assert sw.split_action_name("/ns/pkg/hello") == ("ns", "pkg", "hello")


def test_add_endpoint_leaves_the_input_and_replaces_a_same_operation() -> None:
    base = sw.base_swagger("/club", "Book Club")
    once = sw.add_endpoint(base, endpoint("/books", "GET"), None)
    assert base["paths"] == {}
    twice = sw.add_endpoint(once, endpoint("/books", "GET", "other"), "http")
    cases = twice["x-ibm-configuration"]["assembly"]["execute"][0]["operation-switch"]["case"]
    assert len(cases) == 1
    target = cases[0]["execute"][0]["invoke"]["target-url"]
    assert target == f"{HOST}/api/v1/web/guest/default/other.http$(request.path)"
    assert twice["paths"]["/books"]["get"]["x-openwhisk"]["url"].endswith("/other.http")
    assert sw.actions_called(twice) == ("/guest/other",)


def test_a_packaged_action_and_a_secret_go_into_the_document() -> None:
    doc = sw.add_endpoint(
        sw.base_swagger("/b", None), endpoint("/x", "post", "tools/echo", secureKey="s3"), "json"
    )
    op = doc["paths"]["/x"]["post"]
    assert op["x-openwhisk"]["package"] == "tools" and op["x-openwhisk"]["action"] == "echo"
    assert sw.actions_called(doc) == ("/guest/tools/echo",)
    route = find_route([api_of(doc, "/b")], "/b/x")
    assert route is not None
    target = target_of(route, "POST", "/b/x")
    assert target is not None
    assert target.web_path == "/api/v1/web/guest/tools/echo.json"
    assert target.secure_key == "s3"


def test_remove_endpoint_messages_and_cases() -> None:
    doc = sw.add_endpoint(sw.base_swagger("/club", None), endpoint("/books", "get"), None)
    doc = sw.add_endpoint(doc, endpoint("/books", "post"), None)
    assert sw.remove_endpoint(doc, "/nope", None) == "path '/nope' does not exist in the API"
    assert (
        sw.remove_endpoint(doc, "/books", "PUT")
        == "path '/books' with operation 'put' does not exist in the API"
    )
    edited = sw.remove_endpoint(doc, "/books", "get")
    assert isinstance(edited, dict) and list(edited["paths"]["/books"]) == ["post"]
    cases = edited["x-ibm-configuration"]["assembly"]["execute"][0]["operation-switch"]["case"]
    assert [c["operations"] for c in cases] == [["postBooks"]]
    emptied = sw.remove_endpoint(edited, "/books", None)
    assert isinstance(emptied, dict) and emptied["paths"] == {}


def test_validate_final_refuses_a_parameterised_base_path() -> None:
    doc = sw.base_swagger("/club/{id}", None)
    assert sw.validate_final(doc) == (
        "The base path (/club/{id}) cannot have parameters. Only the relative path supports "
        "path parameters."
    )


def test_routes_match_the_longest_base_path_then_exact_before_parameters() -> None:
    doc = sw.add_endpoint(sw.base_swagger("/club", None), endpoint("/books/{isbn}", "get"), "http")
    doc = sw.add_endpoint(doc, endpoint("/books/new", "get", "fresh"), "json")
    inner = sw.add_endpoint(sw.base_swagger("/club/books", None), endpoint("/x", "get"), "json")
    apis = [api_of(doc), api_of(inner, "/club/books")]
    exact = find_route(apis, "/club/books/new")
    assert exact is not None and exact.relpath == "/books/new"
    param = find_route(apis, "/club/books/42")
    assert param is not None and (param.relpath, param.path_params) == (
        "/books/{isbn}",
        {"isbn": "42"},
    )
    target = target_of(param, "get", "/club/books/42")
    assert target is not None
    assert target.web_path == "/api/v1/web/guest/default/hello.http/club/books/42"
    nested = find_route(apis, "/club/books/x")
    assert nested is not None and nested.api.base_path == "/club/books"
    assert find_route(apis, "/club") is None
    assert find_route(apis, "/clubs/books/new") is None  # whole segments only
    assert find_route(apis, "/club/books/../../other") is None
    assert target_of(param, "delete", "/club/books/42") is None


def test_path_values_are_quoted_when_forwarded() -> None:
    doc = sw.add_endpoint(sw.base_swagger("/c", None), endpoint("/b/{id}", "get"), "http")
    route = find_route([api_of(doc, "/c")], "/c/b/a b?c")
    assert route is not None
    target = target_of(route, "get", "/c/b/a b?c")
    assert target is not None and target.web_path.endswith("/hello.http/c/b/a%20b%3Fc")


def test_cors_setting_is_read_from_either_extension() -> None:
    assert cors_enabled(sw.base_swagger("/a", None)) is True
    assert cors_enabled({"x-gateway-configuration": {"cors": {"enabled": False}}}) is False
    assert cors_enabled({"paths": {}}) is None
