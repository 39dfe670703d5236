"""When a pending activation record is past hope (controller/pending.py), with literal records."""

from __future__ import annotations

from typing import Any

import pytest

from controller.pending import COMPOSITION_STEPS, PendingPolicy, past_hope, record_timeout_ms
from whisk.config import SettingsError, load_settings

SECOND = 1_000
# the balancer's defaults: max(timeout, 60 s) * 2 + 60 s, then 120 s of grace
POLICY = PendingPolicy(grace_ms=120 * SECOND, min_timeout_ms=100, max_timeout_ms=300 * SECOND)


def pending_doc(
    start: Any = 1_000_000, *, timeout: Any = None, kind: str = "nodejs:20"
) -> dict[str, Any]:
    notes: list[dict[str, Any]] = [{"key": "kind", "value": kind}]
    if timeout is not None:
        notes.append({"key": "limits", "value": {"timeout": timeout, "memory": 256}})
    return {"start": start, "end": 0, "response": None, "annotations": notes}


def test_pending_policy_patience_is_the_balancer_deadline_plus_grace() -> None:
    assert POLICY.patience_ms(1 * SECOND) == (60 * 2 + 60 + 120) * SECOND
    assert POLICY.patience_ms(200 * SECOND) == (200 * 2 + 60 + 120) * SECOND


def test_pending_short_action_is_past_hope_exactly_at_its_patience() -> None:
    doc = pending_doc(timeout=5 * SECOND)
    deadline = 1_000_000 + 300 * SECOND
    assert not past_hope(doc, deadline - 1, POLICY)
    assert past_hope(doc, deadline, POLICY)


def test_pending_long_action_waits_for_its_own_timeout() -> None:
    doc = pending_doc(timeout=250 * SECOND)
    patience = (250 * 2 + 60 + 120) * SECOND
    assert not past_hope(doc, 1_000_000 + 300 * SECOND, POLICY)
    assert not past_hope(doc, 1_000_000 + patience - 1, POLICY)
    assert past_hope(doc, 1_000_000 + patience, POLICY)


@pytest.mark.parametrize("timeout", [None, "60000", 0, -5, True, 1.5])
def test_pending_missing_or_unreadable_timeout_means_the_system_maximum(timeout: Any) -> None:
    doc = pending_doc(timeout=timeout)
    assert record_timeout_ms(doc, POLICY) == 300 * SECOND
    longest = POLICY.patience_ms(300 * SECOND)
    assert not past_hope(doc, 1_000_000 + longest - 1, POLICY)
    assert past_hope(doc, 1_000_000 + longest, POLICY)


def test_pending_record_without_annotations_uses_the_system_maximum() -> None:
    doc = {"start": 0, "end": 0, "response": None}
    assert record_timeout_ms(doc, POLICY) == 300 * SECOND
    assert not past_hope(doc, POLICY.patience_ms(300 * SECOND) - 1, POLICY)


def test_pending_composition_waits_for_all_its_steps() -> None:
    doc = pending_doc(timeout=1 * SECOND, kind="sequence")
    patience = COMPOSITION_STEPS * POLICY.patience_ms(300 * SECOND)
    assert not past_hope(doc, 1_000_000 + POLICY.patience_ms(300 * SECOND), POLICY)
    assert not past_hope(doc, 1_000_000 + patience - 1, POLICY)
    assert past_hope(doc, 1_000_000 + patience, POLICY)


@pytest.mark.parametrize("start", [None, "1000", -1, True])
def test_pending_record_without_a_readable_start_is_never_judged(start: Any) -> None:
    assert not past_hope(pending_doc(start, timeout=1 * SECOND), 10**15, POLICY)


def test_pending_listing_bound_covers_every_record_past_hope() -> None:
    now = 10_000_000
    bound = POLICY.started_before_ms(now)
    # the most impatient record past hope starts just below the (exclusive) bound
    quickest = pending_doc(now - POLICY.patience_ms(100), timeout=100)
    assert past_hope(quickest, now, POLICY)
    assert quickest["start"] < bound
    # nothing starting at the bound is past hope
    assert not past_hope(pending_doc(bound, timeout=100), now, POLICY)


def test_pending_zero_grace_still_waits_for_the_balancer() -> None:
    policy = PendingPolicy(grace_ms=0, min_timeout_ms=100, max_timeout_ms=300 * SECOND)
    doc = pending_doc(0, timeout=1 * SECOND)
    assert not past_hope(doc, 180 * SECOND - 1, policy)
    assert past_hope(doc, 180 * SECOND, policy)


@pytest.mark.parametrize(
    "changes",
    [
        {"grace_ms": -1},
        {"min_timeout_ms": 0},
        {"min_timeout_ms": 400 * SECOND},
        {"factor": 0.0},
        {"addon_ms": -1},
    ],
)
def test_pending_policy_refuses_impossible_values(changes: dict[str, Any]) -> None:
    values: dict[str, Any] = {
        "grace_ms": 0,
        "min_timeout_ms": 100,
        "max_timeout_ms": 300 * SECOND,
        **changes,
    }
    with pytest.raises(ValueError):
        PendingPolicy(**values)


def test_pending_settings_default_and_read_from_the_environment() -> None:
    defaults = load_settings({"HOME": "/home/x"})
    assert (defaults.pending_sweep_seconds, defaults.pending_grace_seconds) == (60.0, 120.0)
    given = load_settings(
        {
            "HOME": "/home/x",
            "WHISK_PENDING_SWEEP_SECONDS": "5",
            "WHISK_PENDING_GRACE_SECONDS": "0.5",
        }
    )
    assert (given.pending_sweep_seconds, given.pending_grace_seconds) == (5.0, 0.5)


@pytest.mark.parametrize("name", ["WHISK_PENDING_SWEEP_SECONDS", "WHISK_PENDING_GRACE_SECONDS"])
def test_pending_settings_refuse_negative_values(name: str) -> None:
    with pytest.raises(SettingsError, match=name):
        load_settings({"HOME": "/home/x", name: "-1"})
