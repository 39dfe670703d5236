"""The real ``openwhisk`` npm client against running deployments (standalone, Kafka), unchanged."""

from __future__ import annotations

import base64
import io
import json
import os
import subprocess
import zipfile
from pathlib import Path

from tests.e2e.conftest import Running

SCRIPT = Path(__file__).with_name("npm_crud.js")


def _zip_b64() -> str:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("__main__.py", "def main(a):\n    return a\n")
    return base64.b64encode(buf.getvalue()).decode()


def test_npm_client_crud_on_every_entity_kind(deployment: Running, npm_clients: Path) -> None:
    ns = deployment.namespace
    env = {
        **os.environ,
        "NODE_PATH": str(npm_clients / "node_modules"),
        "APIHOST": deployment.apihost,
        "AUTH": deployment.auth,
        "NAMESPACE": ns,
        "ZIP_B64": _zip_b64(),
    }
    proc = subprocess.run(
        ["node", str(SCRIPT)], env=env, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr + proc.stdout
    steps = {s["step"]: s["value"] for s in map(json.loads, proc.stdout.splitlines())}
    assert steps["action.create"] == {"version": "0.0.1", "kind": "python:3", "ns": ns}
    assert steps["action.update"]["version"] == "0.0.2"
    assert steps["action.update"]["params"] == [{"key": "name", "value": "x"}]
    assert steps["action.zip"] == {"binary": True}
    assert steps["action.default-kind"] == {"kind": "nodejs:20"}
    assert steps["action.list"] == ["hello", "nodey", "zipped"]
    assert steps["package.create"] == {"version": "0.0.1", "binding": {}}
    assert steps["package.get"] == {"actions": ["echo"]}
    assert steps["package.list"] == ["bound", "tools"]
    assert steps["sequence.create"] == {"components": [f"/{ns}/hello", f"/{ns}/tools/echo"]}
    assert steps["rule.create"] == {
        "status": "active",
        "trigger": {"path": ns, "name": "tick"},
        "action": {"path": ns, "name": "hello"},
    }
    assert steps["rule.disable"] == {"status": "inactive"}
    assert steps["trigger.get"] == {
        "rules": {f"{ns}/onTick": {"action": {"path": ns, "name": "hello"}, "status": "active"}}
    }
    assert steps["namespace.list"] == [ns]
    assert steps["action.invoke"]["status"] == "success"
    assert steps["action.invoke"]["result"] == {"name": "npm"}  # updated hello echoes its input
    assert steps["action.invoke-result"] == {"name": "x"}  # the stored default parameter
    assert steps["action.invoke-async"] == {"hasId": True}
    assert steps["sequence.invoke"] == {
        "status": "success",
        "result": {"name": "chain", "p": 1},  # echo sits in a package with p=1
        "logs": 2,
    }
    assert steps["activation.get"] == {"name": "hello", "success": True}
    assert steps["activation.result"]["result"] == {"name": "npm"}
    assert steps["activation.logs"] == {"logs": []}
    assert steps["activation.list-named"] is True
    assert steps["action.create-again"]["statusCode"] == 409
    assert steps["cleanup"] == {"actions": 0, "packages": 0, "triggers": 0, "rules": 0}
