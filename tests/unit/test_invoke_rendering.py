"""How a blocking invoke's outcome becomes an HTTP answer (OpenWhisk's Actions.scala rules)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from controller.api.actions import render_outcome
from controller.invocation import InvokeOutcome
from whisk.entities.activation import (
    Activation,
    ActivationId,
    ActivationResponse,
    application_error,
    developer_error,
    success,
)


def finished(response: ActivationResponse) -> InvokeOutcome:
    aid = ActivationId.new()
    activation = Activation.pending(
        namespace="guest", name="a", version="0.0.1", subject="guest", activation_id=aid, start=1
    ).completed(response, end=3)
    return InvokeOutcome(str(aid), activation)


def body_of(resp: Any) -> Any:
    return json.loads(resp.body)


@pytest.mark.parametrize("result_only", [False, True])
def test_array_result_is_the_whole_body_with_200(result_only: bool) -> None:
    resp = render_outcome(finished(success([1, {"x": 2}], size=11)), result_only)
    assert resp.status == 200
    assert body_of(resp) == [1, {"x": 2}]
    assert resp.headers["x-openwhisk-activation-id"]


def test_object_result_gives_the_activation_or_its_result() -> None:
    outcome = finished(success({"x": 1}, size=7))
    whole = body_of(render_outcome(outcome, False))
    expected = {"status": "success", "success": True, "result": {"x": 1}, "size": 7}
    assert whole["response"] == expected
    assert body_of(render_outcome(outcome, True)) == {"x": 1}


def test_errors_are_502_and_unfinished_is_202() -> None:
    assert render_outcome(finished(application_error("no")), True).status == 502
    assert render_outcome(finished(developer_error("bad")), False).status == 502
    pending = render_outcome(InvokeOutcome("a" * 32, None), False)
    assert pending.status == 202 and body_of(pending) == {"activationId": "a" * 32}
