"""Retry policies read from annotations, and their backoff."""

from __future__ import annotations

from controller.retries import RetryPolicy, failure_payload, policy_from_annotations


def test_policy_reads_retry_and_dead_letter_annotations() -> None:
    policy = policy_from_annotations(
        {"retry": {"attempts": 3, "backoffMs": 200}, "dead-letter": {"trigger": "/ns/dlq"}}
    )
    assert policy == RetryPolicy(3, 200, "/ns/dlq", None)
    assert policy.active


def test_policy_backoff_doubles_and_is_capped() -> None:
    policy = RetryPolicy(attempts=5, backoff_ms=100)
    assert [policy.delay_ms(k) for k in (1, 2, 3)] == [100, 200, 400]
    assert RetryPolicy(attempts=1, backoff_ms=3_000_000).delay_ms(3) == 3_600_000


def test_policy_counts_attempts() -> None:
    policy = RetryPolicy(attempts=2)
    assert [policy.should_retry(done) for done in (0, 1, 2)] == [True, True, False]


def test_malformed_policies_are_ignored() -> None:
    assert not policy_from_annotations({"retry": "lots", "dead-letter": 5}).active
    assert policy_from_annotations({"retry": {"attempts": 99}}).attempts == 10


def test_failure_payload_names_the_failure() -> None:
    record = {"activationId": "a" * 32, "response": {"statusCode": 2, "result": {"error": "x"}}}
    assert failure_payload(record, "ns/act", 3) == {
        "activationId": "a" * 32,
        "action": "ns/act",
        "attempts": 3,
        "statusCode": 2,
        "result": {"error": "x"},
    }
