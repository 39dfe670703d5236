"""Web actions (``/api/v1/web/...``) on a running deployment, called as a browser or ``curl``
would: no key, the action's owner pays. Runs against standalone and the distributed stack."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import aiohttp
import pytest
from multidict import CIMultiDictProxy

from tests.deploy.conftest import ECHO, FAST_FAILURE_ENV, SLEEPY, Caller
from tests.harness import PY, Stack, base_env, free_port, start_standalone

PNG = bytes([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52])
PNG_B64 = base64.b64encode(PNG).decode()

HTTP_REPLY = (
    "def main(args):\n"
    "    return {'statusCode': 201, 'headers': {'X-Web': 'yes', 'Set-Cookie': ['a=1', 'b=2']},\n"
    "            'body': '<h1>' + args.get('name', 'nobody') + '</h1>'}\n"
)
REDIRECT = (
    "def main(args):\n"
    "    return {'statusCode': 302, 'headers': {'Location': 'https://example.org/elsewhere'}}\n"
)
HTML = "def main(args):\n    return {'html': '<p>hello ' + args.get('name', 'you') + '</p>'}\n"
IMAGE = (
    f"def main(args):\n    return {{'headers': {{'Content-Type': 'image/png'}}, "
    f"'body': {PNG_B64!r}}}\n"
)
APP_ERROR = (
    "def main(args):\n"
    "    return {'error': {'statusCode': 400, 'body': 'bad input: ' + args.get('x', '')}}\n"
)
CRASHING = "import os\ndef main(args):\n    os._exit(3)\n"  # a developer error
ADD_ONE = "def main(args):\n    return {'n': int(args.get('n', 0)) + 1}\n"


async def web_for(caller: Caller) -> Web:
    """A ``Web`` for the caller's own namespace (the web URL needs it spelled out)."""
    token = base64.b64encode(caller.key.encode()).decode()
    async with caller.session.get(
        f"{caller.apihost}/api/v1/namespaces", headers={"Authorization": f"Basic {token}"}
    ) as resp:
        assert resp.status == 200
        namespaces = await resp.json()
    return Web(caller, namespaces[0])


@pytest.fixture
async def web(caller: Caller) -> Web:
    return await web_for(caller)


class Web:
    """Creates actions through the REST API and calls them on the web URL without a key."""

    def __init__(self, caller: Caller, namespace: str) -> None:
        self.caller = caller
        self.namespace = namespace

    def url(self, name: str, package: str = "default") -> str:
        return f"{self.caller.apihost}/api/v1/web/{self.namespace}/{package}/{name}"

    async def action(
        self,
        name: str,
        code: str,
        *,
        parameters: dict[str, Any] | None = None,
        **annotations: Any,
    ) -> None:
        notes = {"web-export": True, **{k.replace("_", "-"): v for k, v in annotations.items()}}
        body: dict[str, Any] = {
            "exec": {"kind": "python:3.11", "code": code},
            "annotations": [{"key": k, "value": v} for k, v in notes.items()],
            "parameters": [{"key": k, "value": v} for k, v in (parameters or {}).items()],
        }
        status, reply = await self.caller.call("PUT", f"actions/{name}", body, overwrite="true")
        assert status == 200, reply

    async def request(
        self, method: str, url: str, **kw: Any
    ) -> tuple[int, CIMultiDictProxy[str], bytes]:
        kw.setdefault("allow_redirects", False)
        async with self.caller.session.request(method, url, **kw) as resp:
            return resp.status, resp.headers, await resp.read()


async def test_json_extension_passes_query_params_and_http_context(web: Web) -> None:
    await web.action("echo", ECHO)
    status, headers, body = await web.request("GET", web.url("echo.json") + "?name=Jane")
    assert status == 200, body
    assert headers["Content-Type"].startswith("application/json")
    assert headers["x-openwhisk-activation-id"]
    got = json.loads(body)
    assert got["name"] == "Jane"
    assert (got["__ow_method"], got["__ow_path"]) == ("get", "")
    assert "host" in got["__ow_headers"]
    assert "__ow_user" not in got and "__ow_body" not in got


async def test_extra_path_projects_json_and_reaches_http_actions_as_ow_path(web: Web) -> None:
    await web.action("echo", ECHO)
    status, _, body = await web.request(
        "GET", web.url("echo.json") + "/__ow_headers", headers={"X-Probe": "1"}
    )
    assert status == 200, body
    assert json.loads(body)["x-probe"] == "1"
    await web.action("where", "def main(args):\n    return {'body': {'at': args['__ow_path']}}\n")
    status, _, body = await web.request("GET", web.url("where") + "/a/b")
    assert (status, json.loads(body)) == (200, {"at": "/a/b"})


async def test_http_extension_sets_status_headers_and_body(web: Web) -> None:
    await web.action("page", HTTP_REPLY)
    status, headers, body = await web.request("GET", web.url("page.http") + "?name=Ann")
    assert (status, body) == (201, b"<h1>Ann</h1>")
    assert headers["X-Web"] == "yes"
    assert headers.getall("Set-Cookie") == ["a=1", "b=2"]
    assert headers["Content-Type"].startswith("text/html")
    assert headers["Access-Control-Allow-Origin"] == "*"
    status, _, body = await web.request("GET", web.url("page"))  # no extension: .http
    assert (status, body) == (201, b"<h1>nobody</h1>")


async def test_web_action_in_a_package_gets_package_parameters(web: Web) -> None:
    package = {"parameters": [{"key": "from_package", "value": "yes"}]}
    status, reply = await web.caller.call("PUT", "packages/demo", package, overwrite="true")
    assert status == 200, reply
    await web.action("demo/echo", ECHO)
    status, _, body = await web.request("GET", web.url("echo.json", package="demo") + "?q=1")
    assert status == 200, body
    got = json.loads(body)
    assert (got["from_package"], got["q"]) == ("yes", "1")


async def test_http_redirect(web: Web) -> None:
    await web.action("redirect", REDIRECT)
    status, headers, body = await web.request("GET", web.url("redirect.http"))
    assert (status, headers["Location"], body) == (302, "https://example.org/elsewhere", b"")


async def test_html_extension_and_missing_text_property(web: Web) -> None:
    await web.action("html", HTML)
    status, headers, body = await web.request("GET", web.url("html.html") + "?name=Bo")
    assert (status, body) == (200, b"<p>hello Bo</p>")
    assert headers["Content-Type"].startswith("text/html")
    status, _, body = await web.request("GET", web.url("html.text"))
    assert status == 404
    assert json.loads(body)["error"] == "Response does not include requested property."


async def test_raw_http_gets_body_and_query_unparsed(web: Web) -> None:
    await web.action("raw", ECHO, raw_http=True)
    status, _, body = await web.request(
        "POST", web.url("raw.json") + "?name=Jane&x=1", json={"name": "Body"}
    )
    assert status == 200, body
    got = json.loads(body)
    assert "name" not in got
    assert got["__ow_query"] == "name=Jane&x=1"
    assert json.loads(base64.b64decode(got["__ow_body"])) == {"name": "Body"}
    assert got["__ow_method"] == "post"


async def test_posted_json_body_is_merged_over_query_and_params(web: Web) -> None:
    await web.action("echo", ECHO, parameters={"greeting": "hi", "name": "param"})
    status, _, body = await web.request(
        "POST", web.url("echo.json") + "?name=query&q=1", json={"name": "body", "b": [1]}
    )
    assert status == 200, body
    got = json.loads(body)
    assert (got["name"], got["q"], got["b"], got["greeting"]) == ("body", "1", [1], "hi")


async def test_form_encoded_body_becomes_parameters(web: Web) -> None:
    await web.action("echo", ECHO)
    status, _, body = await web.request(
        "PUT", web.url("echo.json"), data={"name": "Jane Doe", "city": "Oslo"}
    )
    assert status == 200, body
    got = json.loads(body)
    assert (got["name"], got["city"], got["__ow_method"]) == ("Jane Doe", "Oslo", "put")
    assert got["__ow_headers"]["content-type"].startswith("application/x-www-form-urlencoded")


async def test_binary_response_is_base64_decoded(web: Web) -> None:
    await web.action("image", IMAGE)
    status, headers, body = await web.request("GET", web.url("image.http"))
    assert (status, headers["Content-Type"], body) == (200, "image/png", PNG)


async def test_non_web_action_is_not_found_like_a_missing_one(web: Web) -> None:
    await web.caller.action("private", ECHO)
    status, _, body = await web.request("GET", web.url("private.json"))
    assert status == 404
    missing_status, _, missing = await web.request("GET", web.url("nosuchaction.json"))
    assert missing_status == 404
    assert json.loads(body)["error"] == json.loads(missing)["error"]


async def test_require_whisk_auth_secret_header(web: Web) -> None:
    await web.action("secure", ECHO, require_whisk_auth="s3cr3t")
    status, headers, _ = await web.request("GET", web.url("secure.json"))
    assert status == 401
    assert headers["Access-Control-Allow-Origin"] == "*"
    status, _, _ = await web.request(
        "GET", web.url("secure.json"), headers={"X-Require-Whisk-Auth": "wrong"}
    )
    assert status == 401
    status, _, body = await web.request(
        "GET", web.url("secure.json"), headers={"X-Require-Whisk-Auth": "s3cr3t"}
    )
    assert status == 200, body


async def test_require_whisk_auth_true_needs_a_key_and_names_the_user(web: Web) -> None:
    await web.action("keyed", ECHO, require_whisk_auth=True)
    status, _, _ = await web.request("GET", web.url("keyed.json"))
    assert status == 401
    token = base64.b64encode(web.caller.key.encode()).decode()
    status, _, body = await web.request(
        "GET", web.url("keyed.json"), headers={"Authorization": f"Basic {token}"}
    )
    assert status == 200, body
    assert json.loads(body)["__ow_user"] == web.namespace


async def test_options_is_answered_with_cors_headers(web: Web) -> None:
    await web.action("echo", ECHO)
    status, headers, body = await web.request(
        "OPTIONS",
        web.url("echo.json"),
        headers={"Access-Control-Request-Headers": "X-Custom, Content-Type"},
    )
    assert (status, body) == (200, b"")
    assert headers["Access-Control-Allow-Origin"] == "*"
    assert headers["Access-Control-Allow-Methods"] == (
        "OPTIONS, GET, DELETE, POST, PUT, HEAD, PATCH"
    )
    assert headers["Access-Control-Allow-Headers"] == "X-Custom, Content-Type"
    assert "x-openwhisk-activation-id" not in headers  # the action did not run


async def test_custom_options_reach_the_action(web: Web) -> None:
    code = (
        "def main(args):\n"
        "    return {'statusCode': 200, 'headers': {'Allow': 'GET'}, 'body': args['__ow_method']}\n"
    )
    await web.action("opts", code, web_custom_options=True)
    status, headers, body = await web.request("OPTIONS", web.url("opts.http"))
    assert (status, body, headers["Allow"]) == (200, b"options", "GET")
    assert "Access-Control-Allow-Origin" not in headers


async def test_final_refuses_overriding_defined_params(web: Web) -> None:
    await web.action("fixed", ECHO, parameters={"name": "Jane"}, final=True)
    status, _, body = await web.request("GET", web.url("fixed.json") + "?name=Mallory")
    assert status == 400
    assert json.loads(body)["error"] == (
        "Request defines parameters that are not allowed (e.g., reserved properties)."
    )
    status, _, body = await web.request("GET", web.url("fixed.json") + "?other=1")
    assert status == 200, body
    assert json.loads(body)["name"] == "Jane"


async def test_reserved_names_in_the_request_are_refused(web: Web) -> None:
    await web.action("echo", ECHO)
    status, _, _ = await web.request("GET", web.url("echo.json") + "?__ow_user=admin")
    assert status == 400


async def test_sequence_as_a_web_action(web: Web) -> None:
    await web.caller.action("addone", ADD_ONE)
    fqn = f"/{web.namespace}/addone"
    body = {
        "exec": {"kind": "sequence", "components": [fqn, fqn]},
        "annotations": [{"key": "web-export", "value": True}],
    }
    status, reply = await web.caller.call("PUT", "actions/twice", body, overwrite="true")
    assert status == 200, reply
    status, headers, raw = await web.request("GET", web.url("twice.json") + "?n=40")
    assert status == 200, raw
    assert json.loads(raw) == {"n": 42}
    status, record = await web.caller.call(
        "GET", f"activations/{headers['x-openwhisk-activation-id']}"
    )
    assert status == 200
    assert len(record["logs"]) == 2  # the two component activations


async def test_application_error_is_projected_through_http(web: Web) -> None:
    await web.action("failing", APP_ERROR)
    status, headers, body = await web.request("GET", web.url("failing.http") + "?x=42")
    assert (status, body) == (400, b"bad input: 42")
    assert headers["Content-Type"].startswith("text/html")


async def test_developer_error_is_a_generic_400(web: Web) -> None:
    await web.action("crashing", CRASHING)
    status, _, body = await web.request("GET", web.url("crashing.json"))
    assert status == 400
    assert json.loads(body)["error"] == "There was an error processing your request."


async def test_activation_is_recorded_in_the_owners_namespace(web: Web) -> None:
    await web.action("echo", ECHO)
    status, headers, _ = await web.request("GET", web.url("echo.json"))
    assert status == 200
    status, record = await web.caller.call(
        "GET", f"activations/{headers['x-openwhisk-activation-id']}"
    )
    assert (status, record["namespace"], record["name"]) == (200, web.namespace, "echo")


async def test_web_actions_answer_curl(web: Web) -> None:
    await web.action("page", HTTP_REPLY)
    proc = await asyncio.create_subprocess_exec(
        "curl",
        "-sS",
        "-i",
        web.url("page.http") + "?name=curl",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await proc.communicate()
    assert proc.returncode == 0, err.decode()
    head, _, body = out.decode().replace("\r\n", "\n").partition("\n\n")
    assert head.startswith("HTTP/1.1 201"), head
    assert "x-web: yes" in head.lower()
    assert body == "<h1>curl</h1>"


async def test_head_answers_headers_without_a_body(web: Web) -> None:
    await web.action("page", HTTP_REPLY)
    status, headers, body = await web.request("HEAD", web.url("page.http"))
    assert (status, body) == (201, b"")
    assert headers["X-Web"] == "yes"


# -- a standalone whose blocking wait is short: the web caller gets 202 -------------------
@pytest.fixture(scope="module")
def short_wait_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    env = {**FAST_FAILURE_ENV, "WHISK_MAX_BLOCKING_WAIT_MS": "1000"}
    running = start_standalone(tmp_path_factory.mktemp("short-wait"), env)
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
async def short_wait_web(short_wait_stack: Stack) -> AsyncIterator[Web]:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=120)) as session:
        caller = Caller(session, short_wait_stack.apihost, short_wait_stack.new_namespace())
        yield await web_for(caller)


async def test_wait_ending_first_answers_202_not_ready_with_the_id(short_wait_web: Web) -> None:
    web = short_wait_web
    body: dict[str, Any] = {
        "exec": {"kind": "python:3.11", "code": SLEEPY},
        "annotations": [{"key": "web-export", "value": True}],
        "limits": {"timeout": 20_000},
    }
    status, reply = await web.caller.call("PUT", "actions/sleepy", body, overwrite="true")
    assert status == 200, reply
    status, headers, raw = await web.request("POST", web.url("sleepy.json"), json={"seconds": 4})
    assert status == 202
    assert json.loads(raw)["error"] == "Response not yet ready."
    record = await web.caller.wait_record(headers["x-openwhisk-activation-id"])
    assert record["response"]["result"] == {"slept": 4}


# -- a controller with no invoker behind it: 503 -------------------------------------------
@pytest.fixture(scope="module")
def no_invoker_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """``whisk-controller`` alone on the in-process bus: nothing can run an activation."""
    home = tmp_path_factory.mktemp("no-invoker")
    port = free_port()
    db_url = f"sqlite+aiosqlite:///{home / 'whisk.db'}"
    env = {**base_env(home), "WHISK_DB_URL": db_url}
    running = Stack("controller-only", f"http://127.0.0.1:{port}", db_url, env, home)
    running.commands["controller"] = ([PY, "-m", "controller.main", "--port", str(port)], env)
    running.admin("user", "create", "bootstrap")  # brings the schema up before the controller
    running.restart("controller", f"{running.apihost}/ping")
    try:
        yield running
    finally:
        running.stop()


async def test_no_invoker_answers_503(no_invoker_stack: Stack) -> None:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=120)) as session:
        caller = Caller(session, no_invoker_stack.apihost, no_invoker_stack.new_namespace())
        web = await web_for(caller)
        await web.action("echo", ECHO)
        status, headers, body = await web.request("GET", web.url("echo.json"))
    assert status == 503
    assert json.loads(body)["error"] == (
        "The server is currently unavailable (because it is overloaded or down for maintenance)."
    )
    assert headers["Access-Control-Allow-Origin"] == "*"
