"""The cron matcher: fields, names, steps, the day-of-month/day-of-week rule, next times."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from controller.feeds.cron import Cron
from whisk.errors import InvalidArgument


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_cron_every_minute_fires_at_the_next_minute() -> None:
    assert Cron.parse("* * * * *").next_after(at("2026-01-01T10:00:30")) == at(
        "2026-01-01T10:01:00"
    )


def test_cron_six_fields_fire_at_seconds() -> None:
    cron = Cron.parse("*/5 * * * * *")
    assert cron.next_after(at("2026-01-01T10:00:00")) == at("2026-01-01T10:00:05")
    assert cron.next_after(at("2026-01-01T10:00:58")) == at("2026-01-01T10:01:00")


def test_cron_steps_ranges_and_lists() -> None:
    cron = Cron.parse("0,30 9-17/4 * * *")
    assert cron.hours == frozenset({9, 13, 17})
    assert cron.next_after(at("2026-01-01T13:10:00")) == at("2026-01-01T13:30:00")
    assert cron.next_after(at("2026-01-01T17:30:00")) == at("2026-01-02T09:00:00")


def test_cron_names_for_months_and_weekdays() -> None:
    cron = Cron.parse("0 12 * FEB mon-fri")
    # 2026-01-31 is a Saturday: the next is Monday 2 February at noon
    assert cron.next_after(at("2026-01-31T00:00:00")) == at("2026-02-02T12:00:00")


def test_cron_sunday_is_zero_or_seven() -> None:
    assert Cron.parse("0 0 * * 7").weekdays == Cron.parse("0 0 * * 0").weekdays == {0}
    # 2026-03-01 is a Sunday
    assert Cron.parse("0 0 * * sun").next_after(at("2026-02-26T00:00:00")) == at(
        "2026-03-01T00:00:00"
    )


def test_cron_both_day_fields_match_either() -> None:
    cron = Cron.parse("0 0 13 * fri")
    # after Wed 2026-01-07: Friday the 9th comes before the 13th
    assert cron.next_after(at("2026-01-07T00:00:00")) == at("2026-01-09T00:00:00")
    assert cron.next_after(at("2026-01-12T00:00:00")) == at("2026-01-13T00:00:00")


def test_cron_day_of_month_alone_skips_short_months() -> None:
    assert Cron.parse("0 0 31 * *").next_after(at("2026-02-01T00:00:00")) == at(
        "2026-03-31T00:00:00"
    )


def test_cron_impossible_date_never_fires() -> None:
    assert Cron.parse("0 0 30 feb *").next_after(at("2026-01-01T00:00:00")) is None


def test_cron_keeps_the_time_zone_of_the_moment() -> None:
    paris = ZoneInfo("Europe/Paris")
    start = datetime(2026, 6, 1, 8, 30, tzinfo=paris)
    found = Cron.parse("0 9 * * *").next_after(start)
    assert found == datetime(2026, 6, 1, 9, 0, tzinfo=paris)
    assert found is not None and found.astimezone(UTC).hour == 7


@pytest.mark.parametrize(
    "pattern",
    ["* * * *", "60 * * * *", "* 24 * * *", "* * 0 * *", "*/0 * * * *", "5-1 * * * *", "x * * * *"],
)
def test_cron_rejects_bad_patterns(pattern: str) -> None:
    with pytest.raises(InvalidArgument):
        Cron.parse(pattern)
