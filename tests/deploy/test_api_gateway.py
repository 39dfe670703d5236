"""The API gateway on a running deployment, as a user drives it: ``whisk api create`` prints a
URL, and a plain HTTP GET of that URL (no key, as curl) answers with the action's result.
Runs against standalone and the distributed stack (several controllers share the routes
through the database)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.deploy.conftest import Caller
from tests.deploy.test_web_actions import Web, web_for
from tests.harness import PY, ROOT

HELLO = "def main(args):\n    return {'payload': 'Hello world ' + args.get('name', 'API')}\n"
BOOK = (
    "def main(args):\n"
    "    return {'statusCode': 200, 'headers': {'Content-Type': 'application/json'},\n"
    "            'body': {'path': args['__ow_path'], 'method': args['__ow_method']}}\n"
)
PAGE = "def main(args):\n    return {'html': '<p>' + args.get('who', 'nobody') + '</p>'}\n"


def whisk_cli(caller: Caller, home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        "HOME": str(home),
        "PATH": "/usr/bin:/bin",
        "WSK_CONFIG_FILE": str(home / ".wskprops"),
        "WHISK_APIHOST": caller.apihost,
        "WHISK_AUTH": caller.key,
    }
    return subprocess.run(
        [PY, "-m", "cli.main", *args], cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=60, check=False,
    )  # fmt: skip


@pytest.fixture
async def web(caller: Caller) -> Web:
    return await web_for(caller)


async def test_whisk_api_create_gives_a_url_that_answers_with_the_result(
    web: Web, tmp_path: Path
) -> None:
    await web.action("hello", HELLO)
    done = whisk_cli(
        web.caller, tmp_path, "api", "create", "/hello", "/world", "get", "hello",
        "--response-type", "json",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    head, url = done.stdout.splitlines()
    assert head == "ok: created API /hello/world GET for action /_/hello"
    assert url == f"{web.caller.apihost}/api/{web.namespace}/hello/world"
    status, headers, body = await web.request("GET", url + "?name=OpenWhisk")
    assert (status, json.loads(body)) == (200, {"payload": "Hello world OpenWhisk"})
    assert headers["Content-Type"].startswith("application/json")
    # deleting the action takes its route with it
    status, _ = await web.caller.call("DELETE", "actions/hello")
    assert status == 200
    status, _, body = await web.request("GET", url)
    assert (status, json.loads(body)) == (404, {"status": 404, "message": "Error: Not found."})


async def test_path_parameters_and_response_types_reach_the_action(
    web: Web, tmp_path: Path
) -> None:
    await web.action("book", BOOK)
    await web.action("page", PAGE)
    for args in (
        ("/club", "/books/{isbn}", "put", "book", "--response-type", "http"),
        ("/club", "/page", "get", "page", "--response-type", "html"),
    ):
        done = whisk_cli(web.caller, tmp_path, "api", "create", *args)
        assert done.returncode == 0, done.stderr
    base = f"{web.caller.apihost}/api/{web.namespace}/club"
    status, _, body = await web.request("PUT", base + "/books/978-0596517748", json={"x": 1})
    assert (status, json.loads(body)) == (
        200,
        {"path": "/club/books/978-0596517748", "method": "put"},
    )
    status, headers, body = await web.request("GET", base + "/page?who=Ann")
    assert (status, body) == (200, b"<p>Ann</p>")
    assert headers["Content-Type"].startswith("text/html")
    listed = whisk_cli(web.caller, tmp_path, "api", "list", "/club", "--name-sort")
    rows = listed.stdout.splitlines()[2:]
    assert [row.split()[1] for row in rows] == ["put", "get"]  # /books/{isbn}, then /page
    assert whisk_cli(web.caller, tmp_path, "api", "delete", "/club").returncode == 0
    status, _, _ = await web.request("GET", base + "/page")
    assert status == 404
