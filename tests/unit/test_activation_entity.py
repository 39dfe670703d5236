from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from whisk.entities.activation import (
    Activation,
    ActivationId,
    ActivationResponse,
    StatusCode,
    annotation,
    application_error,
    developer_error,
    success,
    whisk_error,
)
from whisk.errors import InvalidArgument

AID = "c7bb1339cb4f40e3a6ccead6c99f804e"
PARENT = "0123456789abcdef0123456789abcdef"


def make_activation(**overrides: Any) -> Activation:
    """A finished, successful activation with sensible defaults."""
    values: dict[str, Any] = {
        "namespace": "guest",
        "name": "hello",
        "version": "0.0.1",
        "subject": "guest",
        "activation_id": ActivationId(AID),
        "start": 1493327653767,
        "end": 1493327653769,
        "response": success({"greeting": "hi"}, size=17),
        "logs": ["2024-01-01T00:00:00.000000000Z  stdout: hi"],
        "annotations": [annotation("path", "guest/hello"), annotation("kind", "python:3.11")],
    }
    values.update(overrides)
    return Activation(**values)


# -- ActivationId -----------------------------------------------------------------------------


def test_activation_id_new_is_32_lowercase_hex_and_unique() -> None:
    first, second = ActivationId.new(), ActivationId.new()
    assert len(str(first)) == 32
    assert str(first) == str(first).lower()
    assert first != second


@pytest.mark.parametrize("text", [AID.upper(), "g" * 32])
def test_activation_id_rejects_invalid_text(text: str) -> None:
    with pytest.raises(InvalidArgument, match=r"^The activation id is not valid\.$"):
        ActivationId(text)


@pytest.mark.parametrize("text", ["", "abc", AID + "0", "c7bb1339-cb4f-40e3-a6cc-ead6c99f804e"])
def test_activation_id_of_wrong_length_says_so_first(text: str) -> None:
    # OpenWhisk checks the length before the characters
    with pytest.raises(InvalidArgument) as raised:
        ActivationId(text)
    assert raised.value.message == f"Activation id length is {len(text)} but must be 32."


def test_activation_id_equal_by_value() -> None:
    assert ActivationId(AID) == ActivationId(AID)
    assert str(ActivationId(AID)) == AID


# -- StatusCode and ActivationResponse --------------------------------------------------------


def test_status_code_has_openwhisk_rest_strings() -> None:
    assert [c.status for c in StatusCode] == [
        "success",
        "application error",
        "action developer error",
        "whisk internal error",
    ]
    assert [int(c) for c in StatusCode] == [0, 1, 2, 3]


def test_activation_response_extended_json_drops_status_code() -> None:
    response = success({"a": 1}, size=7)
    assert response.to_extended_json() == {
        "status": "success",
        "success": True,
        "result": {"a": 1},
        "size": 7,
    }


def test_activation_response_stored_form_keeps_status_code_without_size_when_unknown() -> None:
    assert developer_error("boom").to_stored() == {"statusCode": 2, "result": {"error": "boom"}}


def test_activation_response_round_trips_through_stored_form() -> None:
    response = application_error({"code": 42}, size=12)
    assert ActivationResponse.from_stored(response.to_stored()) == response


def test_activation_response_error_helpers_set_codes_and_error_field() -> None:
    assert application_error("a").status_code is StatusCode.APPLICATION_ERROR
    assert developer_error("d").result == {"error": "d"}
    assert whisk_error("w").status_code is StatusCode.WHISK_ERROR
    assert not whisk_error("w").success


def test_activation_response_container_error_only_for_developer_and_whisk_errors() -> None:
    assert developer_error("d").is_container_error
    assert whisk_error("w").is_container_error
    assert not application_error("a").is_container_error
    assert not success({}).is_container_error


def test_activation_response_rejects_unknown_status_code() -> None:
    with pytest.raises(InvalidArgument):
        ActivationResponse.from_stored({"statusCode": 9, "result": {}})


# -- Activation -------------------------------------------------------------------------------


def test_activation_extended_json_has_openwhisk_fields() -> None:
    doc = make_activation(cause=ActivationId(PARENT)).to_extended_json()
    assert doc == {
        "namespace": "guest",
        "name": "hello",
        "version": "0.0.1",
        "subject": "guest",
        "publish": False,
        "activationId": AID,
        "cause": PARENT,
        "start": 1493327653767,
        "end": 1493327653769,
        "duration": 2,
        "response": {
            "status": "success",
            "success": True,
            "result": {"greeting": "hi"},
            "size": 17,
        },
        "logs": ["2024-01-01T00:00:00.000000000Z  stdout: hi"],
        "annotations": [
            {"key": "path", "value": "guest/hello"},
            {"key": "kind", "value": "python:3.11"},
        ],
    }


def test_activation_extended_json_leaves_out_end_and_duration_when_end_is_zero() -> None:
    doc = make_activation(end=0, duration=5).to_extended_json()
    assert "end" not in doc
    assert "duration" not in doc


def test_activation_explicit_duration_wins_over_end_minus_start() -> None:
    assert make_activation(duration=40).to_extended_json()["duration"] == 40


def test_activation_summary_has_top_level_status_code_and_no_logs_or_response() -> None:
    doc = make_activation(response=application_error("no")).summary_json()
    assert doc["statusCode"] == 1
    assert "logs" not in doc
    assert "response" not in doc
    assert doc["duration"] == 2


def test_trigger_record_without_end_has_no_end_or_duration() -> None:
    # OpenWhisk's trigger activations end at the epoch: REST leaves end and duration out (the
    # list summary keeps statusCode, so that clients can tell a trigger's from a pending one)
    trigger = make_activation(end=0, response=success({"a": 1}), annotations=[])
    summary = trigger.summary_json()
    assert not {"end", "duration"} & set(summary) and summary["statusCode"] == 0
    extended = trigger.to_extended_json()
    assert not {"end", "duration"} & set(extended)
    assert extended["response"] == {"status": "success", "success": True, "result": {"a": 1}}


def test_activation_round_trips_through_stored_doc() -> None:
    original = make_activation(cause=ActivationId(PARENT), publish=True, duration=9)
    assert Activation.from_stored_doc(original.to_stored_doc()) == original


def test_activation_stored_doc_keeps_status_code() -> None:
    doc = make_activation().to_stored_doc()
    assert doc["response"] == {"statusCode": 0, "result": {"greeting": "hi"}, "size": 17}


def test_activation_from_stored_doc_rejects_missing_fields() -> None:
    doc = make_activation().to_stored_doc()
    del doc["activationId"]
    with pytest.raises(InvalidArgument):
        Activation.from_stored_doc(doc)


def test_activation_rejects_end_before_start() -> None:
    with pytest.raises(InvalidArgument):
        make_activation(start=10, end=5)


def test_activation_annotation_lookup_and_replacement_keep_position() -> None:
    activation = make_activation().with_annotation("path", "guest/pkg/hello")
    assert activation.annotation("path") == "guest/pkg/hello"
    assert activation.annotations[0]["key"] == "path"
    assert activation.annotation("initTime") is None


# -- pending records --------------------------------------------------------------------------


def make_pending(**overrides: Any) -> Activation:
    values: dict[str, Any] = {
        "namespace": "guest",
        "name": "hello",
        "version": "0.0.1",
        "subject": "guest",
        "activation_id": ActivationId(AID),
        "start": 1000,
        "annotations": [annotation("path", "guest/hello")],
    }
    values.update(overrides)
    return Activation.pending(**values)


def test_pending_activation_has_no_end_and_no_response() -> None:
    pending = make_pending()
    assert pending.is_pending
    assert pending.end == 0
    assert pending.status_code is None


def test_pending_activation_renders_pending_status_without_end() -> None:
    doc = make_pending().to_extended_json()
    assert doc["response"] == {"status": "pending", "success": False}
    assert "end" not in doc
    assert "statusCode" not in make_pending().summary_json()


def test_pending_activation_round_trips_through_stored_doc() -> None:
    pending = make_pending()
    doc = pending.to_stored_doc()
    assert doc["response"] is None
    assert Activation.from_stored_doc(doc) == pending


def test_pending_activation_completed_sets_response_and_merges_annotations() -> None:
    done = make_pending().completed(
        developer_error("x"),
        end=1500,
        start=1100,
        logs=["line"],
        annotations=[annotation("timeout", True), annotation("path", "guest/pkg/hello")],
    )
    assert not done.is_pending
    assert (done.start, done.end, done.effective_duration) == (1100, 1500, 400)
    assert done.logs == ["line"]
    assert done.annotation("timeout") is True
    assert done.annotation("path") == "guest/pkg/hello"
    assert replace(done, response=None).is_pending
