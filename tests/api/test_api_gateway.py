"""The API gateway over HTTP: the ``/whisk.system/apimgmt`` web actions called as ``wsk api``
(``createApi.http`` with ``accesstoken``/``spaceguid``) and the npm client (``createApi``, the
apidoc with namespace ``_``) call them, and the gateway forwarding ``/api/{ns}/{base}{rel}`` to
the web action. The invocation is an echo stand-in (a ``Dispatch`` that answers with what the
action was given), so these tests see exactly what OpenWhisk's gateway would hand the action."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from controller.app import build_app
from controller.catalog import install_catalog
from controller.context import Controller
from controller.entities import find
from controller.requests import InvocationRequest, InvokeOutcome
from tests.api.conftest import Api, Caller, action_body
from whisk.config import load_settings
from whisk.entities.activation import Activation, ActivationId, success
from whisk.entities.names import FullyQualifiedName
from whisk.entities.namespace_limits import NamespaceLimits
from whisk.store import open_store
from whisk.store.identities import create_identity
from whisk.store.ports import Collection, Identity

NS = "/api/v1/namespaces/_"
MGMT = "/api/v1/web/whisk.system/apimgmt"


class EchoRunner:
    """Answers every invocation with ``{"body": payload}`` (so ``.json`` and ``.http`` both
    show the payload), and remembers the requests."""

    def __init__(self) -> None:
        self.requests: list[InvocationRequest] = []

    @property
    def max_wait_ms(self) -> int:
        return 60_000

    async def admit(self, identity: Identity, limits: NamespaceLimits) -> None:
        return None

    async def run(self, request: InvocationRequest) -> InvokeOutcome:
        self.requests.append(request)
        activation_id = ActivationId.new()
        record = Activation(
            namespace=request.identity.namespace,
            name=request.resolved.action.fqn.name,
            version="0.0.1",
            subject=request.identity.subject,
            activation_id=activation_id,
            start=1,
            end=2,
            response=success(
                {"headers": {"Content-Type": "application/json"}, "body": request.payload}
            ),
        )
        return InvokeOutcome(str(activation_id), record)


@pytest.fixture(params=["memory", "sqlite"])
async def gw(request: pytest.FixtureRequest, tmp_path: Any) -> AsyncIterator[Api]:
    url = "memory://" if request.param == "memory" else f"sqlite+aiosqlite:///{tmp_path}/w.db"
    persistence = await open_store(url)
    store = persistence.store
    settings = load_settings({"HOME": str(tmp_path), "WHISK_DB_URL": url}).with_changes(
        identity_cache_seconds=0.0
    )
    ctl = Controller(
        settings=settings,
        persistence=persistence,
        manifest=settings.load_manifest(),
        runner=EchoRunner(),
    )
    client = TestClient(TestServer(build_app(ctl)))
    await client.start_server()
    guest_key = await create_identity(store, "guest", "guest")
    other_key = await create_identity(store, "other", "other")
    try:
        yield Api(
            client,
            persistence,
            Caller(client, "guest", str(guest_key)),
            Caller(client, "other", str(other_key)),
        )
    finally:
        await client.close()
        await persistence.close()


def origin(api: Api) -> str:
    return str(api.client.make_url("")).rstrip("/")


def cli_apidoc(api: Api, relpath: str, verb: str, action: str, **extra: Any) -> dict[str, Any]:
    """What ``wsk api create /hello RELPATH VERB ACTION`` sends (commands/api.go parseApi)."""
    host = origin(api)
    return {
        "apidoc": {
            "namespace": "_",
            "gatewayBasePath": extra.pop("base", "/hello"),
            "gatewayPath": relpath,
            "gatewayMethod": verb.upper(),
            "id": "API:_:/hello",
            "action": {
                "name": action,
                "namespace": "_",
                "backendMethod": verb.upper(),
                "backendUrl": f"{host}/api/v1/web/_/default/{action}.http",
                "authkey": "the-key",
            },
            **extra,
        }
    }


async def create_web_action(api: Api, name: str = "hello", **annotations: Any) -> None:
    notes = [{"key": "web-export", "value": True}]
    notes += [{"key": k, "value": v} for k, v in annotations.items()]
    resp = await api.guest.call("PUT", f"{NS}/actions/{name}", action_body(annotations=notes))
    assert resp.status == 200, await resp.text()


async def cli_create(
    api: Api, relpath: str, verb: str, action: str, response_type: str = "json", **extra: Any
) -> tuple[int, Any]:
    resp = await api.guest.call(
        "POST",
        f"{MGMT}/createApi.http",
        cli_apidoc(api, relpath, verb, action, **extra),
        params={"responsetype": response_type, "accesstoken": "DUMMY TOKEN", "spaceguid": "x"},
    )
    return resp.status, await resp.json()


async def test_cli_create_api_answers_the_api_with_its_gateway_url_and_swagger(gw: Api) -> None:
    status, body = await cli_create(gw, "/world", "get", "hello")
    assert status == 200, body
    assert body["gwApiUrl"] == f"{origin(gw)}/api/guest/hello"
    assert body["gwApiActivated"] is True
    doc = body["apidoc"]
    assert doc["swagger"] == "2.0" and doc["basePath"] == "/hello"
    assert doc["info"] == {"title": "/hello", "version": "1.0.0"}
    op = doc["paths"]["/world"]["get"]
    assert op["operationId"] == "getWorld"
    assert op["x-openwhisk"] == {
        "url": f"{origin(gw)}/api/v1/web/guest/default/hello.json",
        "namespace": "guest",
        "package": "",
        "action": "hello",
    }
    case = doc["x-ibm-configuration"]["assembly"]["execute"][0]["operation-switch"]["case"][0]
    assert case == {
        "operations": ["getWorld"],
        "execute": [
            {
                "invoke": {
                    "target-url": f"{origin(gw)}/api/v1/web/guest/default/hello.json",
                    "verb": "keep",
                }
            }
        ],
    }
    assert doc["x-ibm-configuration"]["cors"] == {"enabled": True}


async def test_npm_client_create_list_and_delete_as_its_integration_test(gw: Api) -> None:
    # routes.create({action: 'routeAction', basepath: '/testing', relpath: '/foo/bar',
    # operation: 'POST'}): the client's own body (routes.js routeSwaggerDefinition)
    body = {
        "apidoc": {
            "namespace": "_",
            "gatewayBasePath": "/testing",
            "gatewayPath": "/foo/bar",
            "gatewayMethod": "POST",
            "id": "API:_:/testing",
            "action": {
                "name": "routeAction",
                "namespace": "guest",
                "backendMethod": "GET",
                "backendUrl": f"{origin(gw)}/api/v1/web/guest/default/routeAction.http",
                "authkey": gw.guest.key,
            },
        }
    }
    resp = await gw.guest.call("POST", f"{MGMT}/createApi", body)
    assert resp.status == 200, await resp.text()
    resp = await gw.guest.call("GET", f"{MGMT}/getApi", params={"basepath": "/testing"})
    listed = await resp.json()
    assert len(listed["apis"]) == 1
    apidoc = listed["apis"][0]["value"]["apidoc"]
    assert apidoc["basePath"] == "/testing"
    assert apidoc["paths"]["/foo/bar"]["post"]["x-openwhisk"]["action"] == "routeAction"
    resp = await gw.guest.call(
        "DELETE", f"{MGMT}/deleteApi", params={"basepath": "/testing", "force": "true"}
    )
    assert (resp.status, await resp.json()) == (200, {})
    resp = await gw.guest.call("GET", f"{MGMT}/getApi", params={"basepath": "/testing"})
    assert await resp.json() == {"apis": []}


async def test_get_api_lists_by_base_path_or_name_with_cli_fields(gw: Api) -> None:
    await cli_create(gw, "/world", "get", "hello", apiName="Hello API")
    await cli_create(gw, "/books", "get", "books", base="/club")
    resp = await gw.guest.call("GET", f"{MGMT}/getApi.http", params={"limit": "30", "skip": "0"})
    apis = (await resp.json())["apis"]
    assert [a["value"]["apidoc"]["basePath"] for a in apis] == ["/club", "/hello"]
    assert apis[0]["id"] == apis[0]["key"] == "Not Used"
    assert apis[0]["value"]["tenantId"] == apis[0]["value"]["namespace"] == "Not Used"
    resp = await gw.guest.call("GET", f"{MGMT}/getApi.http", params={"basepath": "Hello API"})
    named = (await resp.json())["apis"]
    assert [a["value"]["gwApiUrl"] for a in named] == [f"{origin(gw)}/api/guest/hello"]
    resp = await gw.other.call("GET", f"{MGMT}/getApi.http")
    assert await resp.json() == {"apis": []}  # another namespace sees none of them


async def test_create_api_adds_operations_to_an_existing_api(gw: Api) -> None:
    await cli_create(gw, "/books", "get", "getBooks", base="/club", apiName="Book Club")
    await cli_create(gw, "/books", "post", "postBooks", base="/club")
    status, body = await cli_create(
        gw,
        "/books/{isbn}",
        "put",
        "putBooks",
        "http",
        base="/club",
        pathParameters=[{"name": "isbn", "in": "path", "required": True, "type": "string"}],
    )
    assert status == 200, body
    doc = body["apidoc"]
    assert doc["info"]["title"] == "Book Club"
    assert sorted(doc["paths"]["/books"]) == ["get", "post"]
    put = doc["paths"]["/books/{isbn}"]["put"]
    assert put["operationId"] == "putBooksIsbn"
    assert put["x-openwhisk"]["url"].endswith("/guest/default/putBooks.http")
    cases = doc["x-ibm-configuration"]["assembly"]["execute"][0]["operation-switch"]["case"]
    assert [c["operations"] for c in cases] == [["getBooks"], ["postBooks"], ["putBooksIsbn"]]
    assert cases[2]["execute"][0]["invoke"]["target-url"].endswith("/putBooks.http$(request.path)")


async def test_create_api_refuses_as_openwhisk_does(gw: Api) -> None:
    resp = await gw.client.post(f"{MGMT}/createApi.http", json=cli_apidoc(gw, "/w", "get", "a"))
    assert (resp.status, await resp.json()) == (502, {"error": "A valid auth key is required."})
    resp = await gw.guest.call("POST", f"{MGMT}/createApi.http", {})
    assert await resp.json() == {"error": "apidoc is required."}
    status, body = await cli_create(gw, "/books/{isbn}", "get", "a", "json")
    assert (status, body) == (
        502,
        {
            "error": "API creation failure: The action must use a response type of '.http' "
            "in order to receive the path parameters."
        },
    )
    status, body = await cli_create(gw, "/books/{isbn}", "get", "a", "http")
    assert body == {
        "error": "API creation failure: The parameter 'isbn' defined in path '/books/{isbn}' "
        "does not match any of the parameters defined for the path in the swagger file."
    }
    doc = cli_apidoc(gw, "/w", "get", "a")
    del doc["apidoc"]["action"]["authkey"]
    resp = await gw.guest.call("POST", f"{MGMT}/createApi.http", doc)
    assert await resp.json() == {"error": "action is missing the authkey field."}


async def test_delete_api_removes_one_operation_a_path_or_the_api(gw: Api) -> None:
    await cli_create(gw, "/books", "get", "getBooks", base="/club")
    await cli_create(gw, "/books", "post", "postBooks", base="/club")
    await cli_create(gw, "/authors", "get", "authors", base="/club")

    async def delete(**params: str) -> tuple[int, Any]:
        resp = await gw.guest.call("DELETE", f"{MGMT}/deleteApi.http", params=params)
        return resp.status, await resp.json()

    assert await delete(basepath="/club", relpath="/books", operation="POST") == (200, {})
    found = await gw.persistence.routes.get_api("guest", "/club")
    assert found is not None and sorted(found.swagger["paths"]["/books"]) == ["get"]
    assert found.actions == ("/guest/authors", "/guest/getBooks")
    assert await delete(basepath="/club", relpath="/books", operation="post") == (
        502,
        {
            "error": "API deletion failure: path '/books' with operation 'post' does not "
            "exist in the API"
        },
    )
    assert await delete(basepath="/club", relpath="/books") == (200, {})
    assert await delete(basepath="/club") == (200, {})
    assert await delete(basepath="/club") == (
        502,
        {"error": "API deletion failure: API '/club' does not exist."},
    )
    assert await delete(relpath="/x") == (502, {"error": "basepath is required."})


async def test_gateway_forwards_method_query_headers_and_body_to_the_json_web_action(
    gw: Api,
) -> None:
    await create_web_action(gw)
    await cli_create(gw, "/world", "post", "hello")
    resp = await gw.client.post(
        "/api/guest/hello/world?name=OpenWhisk",
        json={"size": 3},
        headers={"X-Custom": "yes"},
    )
    assert resp.status == 200, await resp.text()
    result = await resp.json()
    payload = result["body"]  # .json: the whole result
    assert payload["name"] == "OpenWhisk" and payload["size"] == 3
    assert payload["__ow_method"] == "post"
    assert payload["__ow_headers"]["x-custom"] == "yes"
    assert payload["__ow_headers"]["x-forwarded-url"].endswith(
        "/api/guest/hello/world?name=OpenWhisk"
    )
    assert payload["__ow_path"] == ""
    assert resp.headers["Access-Control-Allow-Origin"] == "*"
    assert resp.headers["Access-Control-Allow-Credentials"] == "true"


async def test_gateway_passes_the_request_path_to_http_actions_with_path_parameters(
    gw: Api,
) -> None:
    await create_web_action(gw, "getBook")
    params = [{"name": "isbn", "in": "path", "required": True, "type": "string"}]
    await cli_create(
        gw, "/books/{isbn}", "get", "getBook", "http", base="/club", pathParameters=params
    )
    resp = await gw.client.get("/api/guest/club/books/978-0596517748?x=1")
    assert resp.status == 200, await resp.text()
    payload = await resp.json()  # .http: the body
    assert payload["__ow_path"] == "/club/books/978-0596517748"
    assert payload["x"] == "1"
    resp = await gw.client.get("/api/guest/club/books")
    assert (resp.status, await resp.json()) == (
        404,
        {"status": 404, "message": "Error: Not found."},
    )
    resp = await gw.client.delete("/api/guest/club/books/1")
    assert (resp.status, await resp.json()) == (
        404,
        {"status": 404, "message": "Error: Whoops. Verb not supported."},
    )


async def test_gateway_answers_cors_preflight_and_honours_cors_off(gw: Api) -> None:
    await create_web_action(gw)
    await cli_create(gw, "/world", "get", "hello")
    resp = await gw.client.options(
        "/api/guest/hello/world",
        headers={"Origin": "https://site.example", "Access-Control-Request-Headers": "X-A"},
    )
    assert resp.status == 200
    assert resp.headers["Access-Control-Allow-Origin"] == "https://site.example"
    assert resp.headers["Access-Control-Allow-Headers"] == "X-A"
    assert (
        resp.headers["Access-Control-Allow-Methods"]
        == "GET, POST, PUT, DELETE, PATCH, HEAD, OPTIONS"
    )
    # the same API imported with CORS off: no CORS header at all
    got = await gw.guest.call("GET", f"{MGMT}/getApi.http", params={"basepath": "/hello"})
    doc = (await got.json())["apis"][0]["value"]["apidoc"]
    doc["x-ibm-configuration"]["cors"] = {"enabled": False}
    resp = await gw.guest.call(
        "POST",
        f"{MGMT}/createApi.http",
        {"apidoc": {"namespace": "_", "swagger": json.dumps(doc)}},
    )
    assert resp.status == 200, await resp.text()
    resp = await gw.client.get("/api/guest/hello/world")
    assert resp.status == 200
    assert "Access-Control-Allow-Origin" not in resp.headers


async def test_swagger_import_serves_its_routes_and_get_api_gives_it_back(gw: Api) -> None:
    await create_web_action(gw)
    host = origin(gw)
    swagger = {
        "swagger": "2.0",
        "basePath": "/imported",
        "info": {"title": "Imported", "version": "1.0.0"},
        "paths": {
            "/hi": {
                "get": {
                    "operationId": "getHi",
                    "x-openwhisk": {
                        "namespace": "guest",
                        "package": "",
                        "action": "hello",
                        "url": f"{host}/api/v1/web/guest/default/hello.json",
                    },
                    "responses": {"default": {"description": "Default response"}},
                }
            }
        },
    }
    resp = await gw.guest.call(
        "POST", f"{MGMT}/createApi.http", {"apidoc": {"namespace": "_", "swagger": swagger}}
    )
    assert resp.status == 200, await resp.text()
    assert (await resp.json())["gwApiUrl"] == f"{host}/api/guest/imported"
    resp = await gw.client.get("/api/guest/imported/hi?q=1")
    assert resp.status == 200
    assert (await resp.json())["body"]["q"] == "1"
    got = await gw.guest.call("GET", f"{MGMT}/getApi.http", params={"basepath": "Imported"})
    assert (await got.json())["apis"][0]["value"]["apidoc"] == swagger


async def test_deleting_an_action_removes_its_routes(gw: Api) -> None:
    await create_web_action(gw, "hello")
    await create_web_action(gw, "other")
    await cli_create(gw, "/world", "get", "hello")
    await cli_create(gw, "/other", "get", "other")
    await cli_create(gw, "/alone", "get", "hello", base="/solo")
    resp = await gw.guest.call("DELETE", f"{NS}/actions/hello")
    assert resp.status == 200
    routes = gw.persistence.routes
    kept = await routes.get_api("guest", "/hello")
    assert kept is not None and list(kept.swagger["paths"]) == ["/other"]
    assert kept.actions == ("/guest/other",)
    assert await routes.get_api("guest", "/solo") is None  # no path left: the API goes
    resp = await gw.client.get("/api/guest/hello/world")
    assert resp.status == 404


async def test_apimgmt_actions_are_in_the_catalog_as_unshared_web_actions(gw: Api) -> None:
    settings = load_settings({})
    ctl = Controller(
        settings=settings, persistence=gw.persistence, manifest=settings.load_manifest()
    )
    await install_catalog(gw.store, ctl.rules_for)
    package = await find(
        gw.store, Collection.PACKAGES, FullyQualifiedName("whisk.system", "apimgmt")
    )
    assert package is not None and package.entity.publish is False
    for name in ("createApi", "getApi", "deleteApi"):
        fqn = FullyQualifiedName("whisk.system", name, "apimgmt")
        found = await find(gw.store, Collection.ACTIONS, fqn)
        assert found is not None
        notes = found.entity.annotations
        assert notes.is_truthy("web-export") and notes.is_truthy("final")


async def test_the_rest_api_prefix_is_no_gateway_namespace(gw: Api) -> None:
    resp = await gw.guest.call("PATCH", f"{NS}/actions/x")
    assert resp.status == 405  # as without the gateway: the resource has no PATCH
    resp = await gw.guest.call("GET", "/api/v1/bogus")
    assert (await resp.json())["error"] == "The requested resource does not exist."
