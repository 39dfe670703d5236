"""``deleteAfterFire`` of the ``once`` alarm: the accepted values, the refused ones, and that
only ``once`` carries it."""

from __future__ import annotations

from typing import Any

import pytest

from controller.feeds.schedule import AfterFire, after_fire, alarm_spec
from whisk.errors import InvalidArgument

DATE = "2026-01-01T10:00:00Z"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, AfterFire.KEEP),
        ("", AfterFire.KEEP),
        (False, AfterFire.KEEP),
        ("false", AfterFire.KEEP),
        (True, AfterFire.DELETE_TRIGGER),
        ("true", AfterFire.DELETE_TRIGGER),
        (" TRUE ", AfterFire.DELETE_TRIGGER),
        ("rules", AfterFire.DELETE_TRIGGER_AND_RULES),
        ("Rules", AfterFire.DELETE_TRIGGER_AND_RULES),
    ],
)
def test_after_fire_accepts_false_true_and_rules(value: Any, expected: AfterFire) -> None:
    assert after_fire(value) is expected


@pytest.mark.parametrize("value", [0, 1, "yes", "rule", [], {"rules": True}, 1.5])
def test_after_fire_refuses_anything_else(value: Any) -> None:
    with pytest.raises(InvalidArgument, match="deleteAfterFire must be false, true or"):
        after_fire(value)


def test_once_spec_carries_delete_after_fire() -> None:
    assert alarm_spec("once", {"date": DATE}).after_fire is AfterFire.KEEP
    spec = alarm_spec("once", {"date": DATE, "deleteAfterFire": "rules"})
    assert spec.after_fire is AfterFire.DELETE_TRIGGER_AND_RULES
    assert alarm_spec("once", {"date": DATE, "deleteAfterFire": True}).after_fire is (
        AfterFire.DELETE_TRIGGER
    )


def test_once_spec_refuses_a_bad_delete_after_fire() -> None:
    with pytest.raises(InvalidArgument, match="deleteAfterFire"):
        alarm_spec("once", {"date": DATE, "deleteAfterFire": "always"})


def test_recurring_alarms_ignore_delete_after_fire() -> None:
    spec = alarm_spec("interval", {"minutes": 1, "deleteAfterFire": "always"})
    assert spec.after_fire is AfterFire.KEEP
    spec = alarm_spec("alarm", {"cron": "* * * * *", "deleteAfterFire": True})
    assert spec.after_fire is AfterFire.KEEP
