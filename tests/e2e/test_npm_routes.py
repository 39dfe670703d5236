"""The ``openwhisk`` npm client's ``routes`` against running deployments: ``routes.create``
gives a URL that an HTTP GET answers with the action's result (issue 15, "done when")."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from tests.e2e.conftest import Running

SCRIPT = Path(__file__).with_name("npm_routes.js")


def test_npm_client_routes_create_serves_the_action_at_the_gateway(
    deployment: Running, npm_clients: Path
) -> None:
    env = {
        **os.environ,
        "NODE_PATH": str(npm_clients / "node_modules"),
        "APIHOST": deployment.apihost,
        "AUTH": deployment.auth,
    }
    for name in ("__OW_APIGW_TOKEN", "__OW_APIGW_SPACE_GUID", "__OW_NAMESPACE"):
        env.pop(name, None)
    proc = subprocess.run(
        ["node", str(SCRIPT)], env=env, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr + proc.stdout
    steps = {s["step"]: s["value"] for s in map(json.loads, proc.stdout.splitlines())}
    ns = deployment.namespace
    for label, base in (("plain", "npmhello"), ("token", "npmtoken")):
        url = f"{deployment.apihost}/api/{ns}/{base}/world"
        assert steps[f"{label}.create"] == {"url": url, "operations": ["get"]}
        assert steps[f"{label}.get"] == {
            "status": 200,
            "body": {"payload": "Hello world npm"},
        }
        assert steps[f"{label}.list"] == {"count": 1, "action": "hello"}
        assert steps[f"{label}.delete"] == {"left": 0}
        assert steps[f"{label}.gone"] == {"status": 404}
