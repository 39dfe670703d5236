"""Reading acknowledgements and the forced-completion deadline."""

from __future__ import annotations

from typing import Any

from controller.loadbalancer.acks import Ack, deadline_s, read_ack, record_is_system_error
from whisk.messages import (
    CombinedCompletionAndResult,
    CompletionMessage,
    InvokerInstanceId,
    ResultMessage,
    TransactionId,
)

AID = "0123456789abcdef0123456789abcdef"
TID = TransactionId("tid", 1_700_000_000_000)
INVOKER = InvokerInstanceId(0, 2048)


def a_record(**response: Any) -> dict[str, Any]:
    return {"activationId": AID, "response": response or {"statusCode": 0, "result": {}}}


def test_read_ack_combined_frees_the_slot_and_carries_the_record() -> None:
    message = CombinedCompletionAndResult(TID, a_record(), INVOKER, False)
    assert read_ack(message) == Ack(AID, True, a_record(), False)


def test_read_ack_combined_shrunk_has_no_record() -> None:
    message = CombinedCompletionAndResult(TID, AID, INVOKER, True)
    assert read_ack(message) == Ack(AID, True, None, True)


def test_read_ack_completion_frees_the_slot_without_a_record() -> None:
    assert read_ack(CompletionMessage(TID, AID, INVOKER, True)) == Ack(AID, True, None, True)


def test_read_ack_result_keeps_the_slot_and_reads_the_error_from_the_record() -> None:
    failed = a_record(statusCode=3, result={"error": "x"})
    assert read_ack(ResultMessage(TID, failed)) == Ack(AID, False, failed, True)
    assert read_ack(ResultMessage(TID, AID)) == Ack(AID, False, None, False)


def test_record_is_system_error_knows_stored_and_rest_forms() -> None:
    assert record_is_system_error(a_record(statusCode=3))
    assert record_is_system_error(a_record(status="whisk internal error", success=False))
    assert not record_is_system_error(a_record(statusCode=1))
    assert not record_is_system_error(a_record(status="application error"))
    assert not record_is_system_error({"activationId": AID, "response": None})
    assert not record_is_system_error(None)


def test_deadline_is_max_timeout_floor_times_factor_plus_addon() -> None:
    assert deadline_s(1_000, floor_ms=60_000, factor=2, addon_ms=60_000) == 180.0
    assert deadline_s(300_000, floor_ms=60_000, factor=2, addon_ms=60_000) == 660.0
    assert deadline_s(100, floor_ms=0, factor=2, addon_ms=50) == 0.25
