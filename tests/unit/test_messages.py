"""Bus messages: round trips, OpenWhisk-shaped JSON, and refusal of what cannot be read."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest

from whisk.errors import InvalidArgument, MalformedRequest
from whisk.messages import (
    ActionRef,
    ActivationMessage,
    CombinedCompletionAndResult,
    CompletionMessage,
    ControllerInstanceId,
    InvokerInstanceId,
    PingMessage,
    ResultMessage,
    TransactionId,
    UserRef,
    parse_acknowledgement,
)

AID = "0123456789abcdef0123456789abcdef"
OTHER_AID = "fedcba9876543210fedcba9876543210"


def an_invoker(**overrides: Any) -> InvokerInstanceId:
    values: dict[str, Any] = {"instance": 0, "user_memory_mb": 2048, "unique_name": "host-a"}
    return InvokerInstanceId(**(values | overrides))


def an_activation(**overrides: Any) -> ActivationMessage:
    values: dict[str, Any] = {
        "transid": TransactionId("tid-1", 1_700_000_000_000),
        "action": ActionRef("guest/pkg", "hello", "0.0.1"),
        "revision": "3",
        "user": UserRef("guest", "guest", "23bc46b1-71f6-4ed5-8c54-816aa4f8c502"),
        "activation_id": AID,
        "root_controller_index": ControllerInstanceId("0"),
        "blocking": True,
        "content": {"name": "Ada", "nested": {"n": [1, 2.5, None, True]}},
    }
    return ActivationMessage(**(values | overrides))


def a_record(activation_id: str = AID) -> dict[str, Any]:
    return {
        "activationId": activation_id,
        "namespace": "guest",
        "name": "hello",
        "response": {"status": "success", "statusCode": 0, "result": {"ok": True}},
        "logs": [],
    }


def as_json(data: bytes) -> dict[str, Any]:
    obj = json.loads(data)
    assert isinstance(obj, dict)
    return obj


# --- round trips ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "message",
    [
        an_activation(),
        an_activation(
            blocking=False,
            content=[1, "two", {"three": 3}],
            init_args=("secret",),
            locked_args={"secret": "aes-256"},
            cause=OTHER_AID,
            trace_context={"traceparent": "00-abc-def-01"},
            deadline_ms=1_700_000_060_000,
            wait_start_ms=1_700_000_000_000,
            annotations=({"key": "causedBy", "value": "sequence"},),
            api_key="uuid:key",
            transid=TransactionId("tid-2", 5, extra_logging=True),
        ),
        an_activation(content=None, revision=None, user=UserRef("guest", "guest")),
        an_activation(action=ActionRef("guest", "hello", binding="guest/bound")),
    ],
    ids=["plain", "everything", "minimal", "binding"],
)
def test_activation_message_round_trips(message: ActivationMessage) -> None:
    assert ActivationMessage.from_bytes(message.to_bytes()) == message


def test_acknowledgements_round_trip_through_parse_acknowledgement() -> None:
    tid = TransactionId("tid-1", 42)
    invoker = an_invoker(busy_memory_mb=256, tags=("gpu",), dedicated_namespaces=("ns1",))
    messages = [
        CompletionMessage(tid, AID, invoker, is_system_error=False),
        ResultMessage(tid, a_record()),
        ResultMessage(tid, AID),
        CombinedCompletionAndResult(tid, a_record(), invoker, is_system_error=True),
        CombinedCompletionAndResult(tid, AID, invoker, is_system_error=False),
    ]
    for message in messages:
        assert parse_acknowledgement(message.to_bytes()) == message
        assert type(message).from_bytes(message.to_bytes()) == message
        assert message.activation_id == AID


def test_ping_message_round_trips() -> None:
    ping = PingMessage(an_invoker(instance=3, displayed_name="inv3"), enabled=False)
    assert PingMessage.from_bytes(ping.to_bytes()) == ping


def test_result_message_shrunk_keeps_only_the_activation_id() -> None:
    tid = TransactionId("tid-1", 42)
    combined = CombinedCompletionAndResult(tid, a_record(), an_invoker(), is_system_error=False)
    assert combined.shrunk().response == AID
    assert ResultMessage(tid, a_record()).shrunk() == ResultMessage(tid, AID)


# --- OpenWhisk-shaped JSON ------------------------------------------------------------------


def test_activation_message_json_uses_openwhisk_keys() -> None:
    obj = as_json(an_activation(init_args=("p1",)).to_bytes())
    assert obj["v"] == 1
    assert obj["transid"] == ["tid-1", 1_700_000_000_000]
    assert obj["activationId"] == AID
    assert obj["rootControllerIndex"] == {"asString": "0", "instanceType": "controller"}
    assert obj["action"] == {"path": "guest/pkg", "name": "hello", "version": "0.0.1"}
    assert obj["user"] == {
        "subject": "guest",
        "namespace": {"name": "guest", "uuid": "23bc46b1-71f6-4ed5-8c54-816aa4f8c502"},
    }
    assert obj["revision"] == "3"
    assert obj["blocking"] is True
    assert obj["initArgs"] == ["p1"]
    assert "cause" not in obj  # optional fields are left out when unset


def test_completion_message_json_uses_openwhisk_keys() -> None:
    message = CompletionMessage(TransactionId("t", 1), AID, an_invoker(), is_system_error=True)
    obj = as_json(message.to_bytes())
    assert obj == {
        "v": 1,
        "transid": ["t", 1],
        "activationId": AID,
        "isSystemError": True,
        "instance": {
            "instance": 0,
            "userMemory": "2048 MB",
            "instanceType": "invoker",
            "uniqueName": "host-a",
            "tags": [],
            "dedicatedNamespaces": [],
        },
    }


def test_ping_message_json_uses_openwhisk_keys() -> None:
    obj = as_json(PingMessage(an_invoker()).to_bytes())
    assert obj["isEnabled"] is True
    assert obj["name"]["instance"] == 0
    assert obj["name"]["userMemory"] == "2048 MB"


def test_invoker_instance_reads_other_memory_units() -> None:
    obj = an_invoker().to_json() | {"userMemory": "2 GB", "busyMemory": "268435456 B"}
    data = json.dumps({"v": 1, "name": obj, "isEnabled": True}).encode()
    invoker = PingMessage.from_bytes(data).invoker
    assert (invoker.user_memory_mb, invoker.busy_memory_mb) == (2048, 256)


# --- refusals -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\xff\xfe not utf-8",
        b"not json",
        b"[1, 2]",
        b'"a string"',
        b"{}",
        b'{"v": 1}',
        b'{"v": 1, "transid": ["t", 1]}',
    ],
    ids=["empty", "not-utf8", "not-json", "array", "string", "no-version", "empty-v1", "partial"],
)
def test_activation_message_rejects_malformed_bytes(data: bytes) -> None:
    with pytest.raises(MalformedRequest):
        ActivationMessage.from_bytes(data)


@pytest.mark.parametrize("version", [2, 0, "1", True, None])
def test_messages_reject_unknown_versions(version: Any) -> None:
    obj = as_json(an_activation().to_bytes()) | {"v": version}
    with pytest.raises(MalformedRequest, match="version"):
        ActivationMessage.from_bytes(json.dumps(obj).encode())


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("transid", "tid-1"),
        ("transid", ["tid", "not-a-number"]),
        ("blocking", "yes"),
        ("content", "a string"),
        ("activationId", "not-hex"),
        ("activationId", 7),
        ("rootControllerIndex", {"instanceType": "controller"}),
        ("user", {"subject": "guest", "namespace": "guest"}),
        ("initArgs", [1]),
        ("deadlineMs", True),
    ],
)
def test_activation_message_rejects_wrong_fields(key: str, value: Any) -> None:
    obj = as_json(an_activation().to_bytes()) | {key: value}
    with pytest.raises(MalformedRequest):
        ActivationMessage.from_bytes(json.dumps(obj).encode())


def test_parse_acknowledgement_rejects_other_messages() -> None:
    with pytest.raises(MalformedRequest, match="acknowledgement"):
        parse_acknowledgement(PingMessage(an_invoker()).to_bytes())


def test_result_message_rejects_record_without_activation_id() -> None:
    data = json.dumps({"v": 1, "transid": ["t", 1], "response": {"name": "x"}}).encode()
    with pytest.raises(MalformedRequest):
        parse_acknowledgement(data)


def test_ping_message_rejects_bad_memory_size() -> None:
    obj = {"v": 1, "name": an_invoker().to_json() | {"userMemory": "lots"}, "isEnabled": True}
    with pytest.raises(MalformedRequest):
        PingMessage.from_bytes(json.dumps(obj).encode())


def test_activation_message_refuses_an_invalid_activation_id() -> None:
    with pytest.raises(InvalidArgument):
        an_activation(activation_id="ABC")
    with pytest.raises(InvalidArgument):
        replace(an_activation(), cause="nope")


def test_instance_ids_refuse_invalid_values() -> None:
    with pytest.raises(InvalidArgument):
        InvokerInstanceId(instance=-1, user_memory_mb=1024)
    with pytest.raises(InvalidArgument):
        ControllerInstanceId("")


def test_activation_message_refuses_malformed_annotations() -> None:
    data = an_activation().to_json()
    data["annotations"] = [{"value": 1}]
    with pytest.raises(MalformedRequest):
        ActivationMessage.from_bytes(json.dumps({"v": 1, **data}).encode())
