"""From an activation message and its action to the pool's run request (pure mapping)."""

from __future__ import annotations

from typing import Any

import pytest

from invoker.activations import entity_key, exec_spec, failed_activation, package_of, run_request
from whisk.entities.action import Action
from whisk.entities.activation import application_error
from whisk.entities.common import EntityRules
from whisk.entities.names import FullyQualifiedName
from whisk.entities.runtimes import RuntimeManifest
from whisk.errors import InvalidArgument
from whisk.messages import (
    ActionRef,
    ActivationMessage,
    ControllerInstanceId,
    TransactionId,
    UserRef,
)

MANIFEST = RuntimeManifest.from_json(
    {"runtimes": {"python": [{"kind": "python:3.11", "default": True, "image": "img:1"}]}}
)
AID = "a" * 32


def message(path: str = "ns/pkg", **overrides: Any) -> ActivationMessage:
    fields: dict[str, Any] = {
        "transid": TransactionId("tid", 1_000),
        "action": ActionRef(path=path, name="act", version="0.0.2"),
        "revision": "3",
        "user": UserRef(subject="caller", namespace="callerns"),
        "activation_id": AID,
        "root_controller_index": ControllerInstanceId("0"),
        "blocking": True,
        "content": {"a": 1, "secret": "from-binding"},
        "init_args": ("secret",),
        "wait_start_ms": 990,
        "api_key": "k",
        "annotations": ({"key": "causedBy", "value": "sequence"},),
    }
    fields.update(overrides)
    return ActivationMessage(**fields)


def action(**body: Any) -> Action:
    base = {
        "exec": {"kind": "python:3.11", "code": "def main(a): return a"},
        "parameters": [{"key": "secret", "value": "own", "init": True}, {"key": "b", "value": 2}],
    }
    base.update(body)
    return Action.from_put(FullyQualifiedName("ns", "act", "pkg"), base, EntityRules(MANIFEST))


def test_entity_key_splits_the_package_from_the_path() -> None:
    key = entity_key(message())
    assert (key.namespace, key.package, key.name) == ("ns", "pkg", "act")
    assert entity_key(message(path="ns")).package is None


def test_package_of_prefers_the_binding_name() -> None:
    bound = message(annotations=({"key": "binding", "value": "callerns/mine"},))
    assert package_of(bound) == "mine"
    assert package_of(message()) == "pkg"


def test_run_request_moves_init_args_and_keeps_context() -> None:
    request = run_request(message(), action(), "3", MANIFEST)
    assert request.init_params == {"secret": "from-binding"}  # the message's value wins
    assert request.params == {"a": 1, "secret": "from-binding"}
    assert request.exec.image == "img:1" and request.exec.main == "main"
    assert (request.namespace, request.subject, request.api_key) == ("callerns", "caller", "k")
    assert request.wait_start_ms == 990
    assert request.action == "ns/pkg/act"
    assert request.annotations == ({"key": "causedBy", "value": "sequence"},)


def test_exec_spec_refuses_a_kind_this_invoker_lacks() -> None:
    other = RuntimeManifest.from_json({"runtimes": {}})
    with pytest.raises(InvalidArgument):
        exec_spec(action(), other)


def test_failed_activation_records_who_asked_and_why() -> None:
    record = failed_activation(message(), application_error("gone"), 5_000)
    assert (record.namespace, record.name, record.start, record.end) == (
        "callerns",
        "act",
        5_000,
        5_000,
    )
    assert record.annotation("path") == "ns/pkg/act"
    assert record.response is not None and record.response.result == {"error": "gone"}
