"""``invoker.local``: a local run's /init and /run bodies are the pool's, for ``/local/<name>``."""

from __future__ import annotations

from invoker.local import LocalAction, request_of
from invoker.pool.protocol import init_payload, run_payload
from whisk.entities.activation import ActivationId
from whisk.entities.runtimes import RuntimeKind

AID = ActivationId("0" * 31 + "1")
PY = RuntimeKind(kind="python:3.11", family="python", image="whisk/action-python-v3.11:latest")


def test_local_init_body_names_the_action_under_local() -> None:
    action = LocalAction("echo", "def main(a): return a", False, PY, "handler")
    body = init_payload(request_of(action, {"n": 5}, AID), 1_000)
    assert {k: v for k, v in body.items() if k != "env"} == {
        "name": "echo",
        "main": "handler",
        "code": "def main(a): return a",
        "binary": False,
    }
    assert body["env"] == {
        "__OW_NAMESPACE": "local",
        "__OW_ACTION_NAME": "/local/echo",
        "__OW_ACTION_VERSION": "0.0.1",
        "__OW_ACTIVATION_ID": str(AID),
        "__OW_TRANSACTION_ID": str(AID),
        "__OW_DEADLINE": "1000",
    }


def test_local_run_body_carries_the_params_and_the_context() -> None:
    action = LocalAction("echo", "x", False, PY)
    assert run_payload(request_of(action, {"n": 5}, AID), 2_000) == {
        "value": {"n": 5},
        "namespace": "local",
        "action_name": "/local/echo",
        "action_version": "0.0.1",
        "activation_id": str(AID),
        "transaction_id": str(AID),
        "deadline": "2000",
    }


def test_local_action_family_is_nodejs_or_python() -> None:
    node = RuntimeKind(kind="nodejs:20", family="nodejs", image="i")
    assert LocalAction("a", "x", False, node).family == "nodejs"
    assert LocalAction("a", "x", False, PY).family == "python"
