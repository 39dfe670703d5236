"""One scripted session (create, invoke, fire, rule disable/enable, activation list/logs,
delete) run with ``whisk`` in one namespace and with the real ``openwhisk`` npm client in
another leaves the server in the same state."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

from tests.cli.conftest import ROOT, Standalone, Wsk

HELLO = (
    "def main(args):\n"
    "    return {'msg': args.get('greeting', 'hello') + ' ' + args.get('name', '')}\n"
)
VOLATILE = {"namespace", "updated", "activationId", "start", "end", "duration", "subject", "logs"}


def _new_namespace(standalone: Standalone) -> tuple[str, str]:
    env = {**os.environ, "HOME": str(standalone.home), "WHISK_DB_URL": standalone.db_url}
    name = f"same{os.urandom(4).hex()}"
    done = subprocess.run(
        [sys.executable, "-m", "cli.main", "admin", "user", "create", name],
        cwd=ROOT, env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    return name, done.stdout.strip().splitlines()[-1]


def _get(standalone: Standalone, key: str, path: str) -> Any:
    request = urllib.request.Request(
        f"http://127.0.0.1:{standalone.port}/api/v1/namespaces/_/{path}"
    )
    request.add_header("Authorization", "Basic " + base64.b64encode(key.encode()).decode())
    with urllib.request.urlopen(request, timeout=10) as reply:
        return json.loads(reply.read())


def _normal(value: Any, ns: str) -> Any:
    """Drop what differs by nature (ids, times, owner) and name the namespace generically."""
    if isinstance(value, dict):
        return {
            k.replace(ns, "NS"): _normal(v, ns)
            for k, v in sorted(value.items())
            if k not in VOLATILE
        }
    if isinstance(value, list):
        return [_normal(v, ns) for v in value]
    if isinstance(value, str):
        return value.replace(ns, "NS")
    return value


def _state(standalone: Standalone, ns: str, key: str) -> dict[str, Any]:
    # fired rules run asynchronously: wait until every activation has finished
    for _ in range(200):
        activations = _get(standalone, key, "activations?docs=true&limit=50&pending=true")
        if all(a["response"]["status"] != "pending" for a in activations):
            break
        time.sleep(0.1)
    state: dict[str, Any] = {}
    for collection in ("actions", "triggers", "rules", "packages"):
        names = sorted(e["name"] for e in _get(standalone, key, collection))
        state[collection] = {
            n: _normal(_get(standalone, key, f"{collection}/{n}"), ns) for n in names
        }
    state["activations"] = sorted(
        (a["name"], a["response"]["status"], json.dumps(_normal(a["response"].get("result"), ns)))
        for a in activations
    )
    return state


def test_whisk_and_the_npm_client_leave_the_same_state(
    standalone: Standalone, bare_wsk: Wsk, tmp_path: Path, npm_clients: Path
) -> None:
    hello = tmp_path / "hello.py"
    hello.write_text(HELLO)
    cli_ns, cli_key = _new_namespace(standalone)
    npm_ns, npm_key = _new_namespace(standalone)

    # the session with whisk
    wsk = bare_wsk
    assert wsk("property", "set", "--apihost", standalone.apihost, "--auth", cli_key).exit_code == 0
    steps = [
        ("action", "create", "hello", str(hello), "--kind", "python:3.11", "-p", "greeting", "hi"),
        ("action", "create", "scratch", str(hello), "--kind", "python:3.11"),
        ("action", "invoke", "hello", "-b", "-p", "name", "session"),
        ("trigger", "create", "tick", "-p", "source", "script"),
        ("rule", "create", "onTick", "tick", "hello"),
        ("trigger", "fire", "tick", "-p", "name", "fired"),
        ("rule", "disable", "onTick"),
        ("rule", "enable", "onTick"),
        ("activation", "list", "--limit", "10"),
        ("activation", "logs", "--last"),
        ("action", "delete", "scratch"),
    ]
    for step in steps:
        result = wsk(*step)
        assert result.exit_code == 0, (step, result.output)

    # the same session with the npm client
    env = {
        **os.environ,
        "NODE_PATH": str(npm_clients / "node_modules"),
        "APIHOST": f"http://127.0.0.1:{standalone.port}",
        "AUTH": npm_key,
        "HELLO_PY": str(hello),
    }
    done = subprocess.run(
        ["node", str(Path(__file__).with_name("same_session.js"))],
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr + done.stdout

    by_cli = _state(standalone, cli_ns, cli_key)
    by_npm = _state(standalone, npm_ns, npm_key)
    assert by_cli == by_npm
    assert set(by_cli["actions"]) == {"hello"}
    assert by_cli["rules"]["onTick"]["status"] == "active"
    assert ("hello", "success", json.dumps({"msg": "hi fired"})) in by_cli["activations"]
