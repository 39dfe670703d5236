"""The alarms READ answer's ``status`` and why a registration ends, as the alarms provider
reports them (``dateChanged`` when the status changed; a ``reason`` object once disabled)."""

from __future__ import annotations

from typing import Any

import pytest

from controller.feeds.alarms import last_fire_reason
from controller.feeds.lifecycle import read_reply
from controller.feeds.schedule import alarm_spec
from whisk.store.ports import FeedRegistration, FeedStatus

CREATED = 1_767_261_600_000  # 2026-01-01T10:00:00Z
FIRED = CREATED + 3_600_000


def registration(**overrides: Any) -> FeedRegistration:
    values: dict[str, Any] = {
        "registration_id": "r1", "provider": "alarms", "feed": "once", "namespace": "guest",
        "trigger": "t", "params": {"date": "2026-01-01T11:00:00Z"}, "created_ms": CREATED,
    }  # fmt: skip
    values.update(overrides)
    return FeedRegistration(**values)


def test_active_registration_has_no_reason_and_its_creation_date() -> None:
    status = read_reply(registration())["status"]
    assert status == {
        "active": True,
        "dateChanged": CREATED,
        "dateChangedISO": "2026-01-01T10:00:00Z",
    }


def test_fired_once_alarm_is_inactive_with_the_providers_reason_and_fire_date() -> None:
    fired = registration(
        status=FeedStatus.DISABLED,
        reason="Automatically disabled after firing once",
        changed_ms=FIRED,
        fires=1,
    )
    status = read_reply(fired)["status"]
    assert status == {
        "active": False,
        "dateChanged": FIRED,
        "dateChangedISO": "2026-01-01T11:00:00Z",
        "reason": {"kind": "AUTO", "message": "Automatically disabled after firing once"},
    }


@pytest.mark.parametrize(
    ("feed", "params", "fires_before", "reason"),
    [
        ("once", {"date": "2026-01-01T11:00:00Z"}, 0, "Automatically disabled after firing once"),
        ("interval", {"minutes": 1, "maxTriggers": 3}, 2,
         "Automatically disabled after reaching max triggers"),
        ("interval", {"minutes": 1, "stopDate": "2026-01-02T00:00:00Z"}, 5,
         "Automatically disabled after firing last scheduled interval trigger"),
        ("alarm", {"cron": "0 * * * *", "stopDate": "2026-01-02T00:00:00Z"}, 5,
         "Automatically disabled after firing last scheduled cron trigger"),
    ],
)  # fmt: skip
def test_last_fire_reason_is_the_providers_text(
    feed: str, params: dict[str, Any], fires_before: int, reason: str
) -> None:
    assert last_fire_reason(alarm_spec(feed, params), fires_before) == reason
