"""``whisk api`` against a running standalone: wsk's arguments, flags and output, and the
printed URL answered by the gateway."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path

from tests.cli.conftest import Standalone, Wsk

HELLO = "def main(args):\n    return {'payload': 'Hello world ' + args.get('name', 'API')}\n"


def _web_action(wsk: Wsk, tmp_path: Path, name: str, web: str = "true") -> None:
    path = tmp_path / f"{name}.py"
    path.write_text(HELLO)
    result = wsk("action", "create", name, str(path), "--web", web)
    assert result.exit_code == 0, result.output


def _get_json(url: str) -> object:
    with urllib.request.urlopen(url, timeout=60) as resp:
        assert resp.status == 200
        return json.loads(resp.read())


def test_api_create_prints_the_route_url_that_answers_with_the_result(
    wsk: Wsk, standalone: Standalone, unique: str, tmp_path: Path
) -> None:
    _web_action(wsk, tmp_path, unique)
    created = wsk("api", "create", f"/{unique}", "/world", "get", unique,
                  "--response-type", "json")  # fmt: skip
    url = f"{standalone.apihost}/api/guest/{unique}/world"
    assert created.exit_code == 0, created.output
    assert created.stdout == (
        f"ok: created API /{unique}/world GET for action /_/{unique}\n{url}\n"
    )
    assert _get_json(url + "?name=OpenWhisk") == {"payload": "Hello world OpenWhisk"}


def test_api_list_get_and_delete_as_wsk_prints_them(
    wsk: Wsk, standalone: Standalone, unique: str, tmp_path: Path
) -> None:
    _web_action(wsk, tmp_path, unique)
    base = f"/{unique}"
    assert wsk("api", "create", "-n", "Book Club", base, "/books", "get", unique).exit_code == 0
    assert wsk("api", "create", base, "/books", "post", unique).exit_code == 0
    url = f"{standalone.apihost}/api/guest/{unique}/books"
    listed = wsk("api", "list", base)
    action = f"/guest/{unique}"
    width = max(len(action), len("Action"))
    assert listed.stdout.splitlines() == [
        "ok: APIs",
        f"{'Action':<{width}} {'Verb':>7} {'API Name':>10}  URL",
        f"{action:<{width}} {'get':>7} {'Book Club':>10}  {url}",
        f"{action:<{width}} {'post':>7} {'Book Club':>10}  {url}",
    ]
    full = wsk("api", "list", base, "/books", "post", "--full")
    assert full.stdout == (
        f"ok: APIs\nAction: {action}\n   API Name: Book Club\n   Base path: {base}\n"
        f"   Path: /books\n   Verb: post\n   URL: {url}\n"
    )
    doc = json.loads(wsk("api", "get", "Book Club").stdout)
    assert doc["basePath"] == base and sorted(doc["paths"]["/books"]) == ["get", "post"]
    detail = json.loads(wsk("api", "get", base, "--full").stdout)
    assert detail["gwApiUrl"] == f"{standalone.apihost}/api/guest/{unique}"
    deleted = wsk("api", "delete", base, "/books", "POST")
    assert deleted.stdout == f"ok: deleted /books POST from {base}\n"
    assert wsk("api", "delete", base).stdout == f"ok: deleted API {base}\n"
    missing = wsk("api", "get", base)
    assert missing.exit_code != 0
    assert f"API does not exist for basepath {base}" in missing.stderr


def test_api_create_imports_a_swagger_file(
    wsk: Wsk, standalone: Standalone, unique: str, tmp_path: Path
) -> None:
    _web_action(wsk, tmp_path, unique)
    base = f"/{unique}"
    assert wsk("api", "create", base, "/hi", "get", unique).exit_code == 0
    exported = tmp_path / "api.json"
    exported.write_text(wsk("api", "get", base).stdout)
    assert wsk("api", "delete", base).exit_code == 0
    imported = wsk("api", "create", "--config-file", str(exported))
    url = f"{standalone.apihost}/api/guest/{unique}/hi"
    assert imported.exit_code == 0, imported.output
    assert imported.stdout == (f"ok: created API {base}/hi get for action /guest/{unique}\n{url}\n")
    assert _get_json(url) == {"payload": "Hello world API"}


def test_api_create_refuses_what_wsk_refuses(wsk: Wsk, unique: str, tmp_path: Path) -> None:
    _web_action(wsk, tmp_path, unique, web="false")
    plain = wsk("api", "create", f"/{unique}", "/w", "get", unique)
    assert plain.exit_code != 0
    assert (
        f"Action '/_/{unique}' is not a web action. Issue 'wsk action update \"/_/{unique}\" "
        "--web true' to convert the action to a web action." in plain.stderr
    )
    params = wsk("api", "create", f"/{unique}", "/books/{isbn}", "get", unique)
    assert "A response type of 'http' is required when using path parameters." in params.stderr
    relative = wsk("api", "create", f"/{unique}", "books", "get", unique)
    assert "'books' must begin with '/'." in relative.stderr
    verb = wsk("api", "create", f"/{unique}", "/w", "fetch", unique)
    assert "'fetch' is not a valid API verb." in verb.stderr
