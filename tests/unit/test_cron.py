"""The cron schedule: fields, names, steps, the day-of-month/day-of-week rule, next times, and
wall-clock minutes across daylight-saving changes in a named zone."""

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
    cron = Cron.parse("0,30 9-17/4 * * *")  # hours 9, 13 and 17
    assert cron.next_after(at("2026-01-01T09:30:00")) == at("2026-01-01T13:00:00")
    assert cron.next_after(at("2026-01-01T13:10:00")) == at("2026-01-01T13:30:00")
    assert cron.next_after(at("2026-01-01T17:30:00")) == at("2026-01-02T09:00:00")


def test_cron_names_for_months_and_weekdays() -> None:
    cron = Cron.parse("0 12 * FEB mon-fri")
    # 2026-01-31 is a Saturday: the next is Monday 2 February at noon
    assert cron.next_after(at("2026-01-31T00:00:00")) == at("2026-02-02T12:00:00")


def test_cron_sunday_is_zero_or_seven() -> None:
    # 2026-03-01 is a Sunday
    for sunday in ("0", "7"):
        assert Cron.parse(f"0 0 * * {sunday}").next_after(at("2026-02-26T00:00:00")) == at(
            "2026-03-01T00:00:00"
        )
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


def test_cron_leap_day_waits_for_a_leap_year() -> None:
    assert Cron.parse("0 0 29 2 *").next_after(at("2026-01-01T00:00:00")) == at(
        "2028-02-29T00:00:00"
    )


def test_cron_keeps_the_expression_with_its_fields_joined_once() -> None:
    assert Cron.parse("  0  9 * *   mon ").expression == "0 9 * * mon"


def test_cron_keeps_the_time_zone_of_the_moment() -> None:
    paris = ZoneInfo("Europe/Paris")
    start = datetime(2026, 6, 1, 8, 30, tzinfo=paris)
    found = Cron.parse("0 9 * * *").next_after(start)
    assert found == datetime(2026, 6, 1, 9, 0, tzinfo=paris)
    assert found is not None and found.astimezone(UTC).hour == 7


@pytest.mark.parametrize(
    "pattern",
    [
        "* * * *",
        "* * * * * * *",
        "0 0 30 feb *",  # an impossible date is refused, not kept to never fire
        "60 * * * *",
        "* 24 * * *",
        "* * 0 * *",
        "*/0 * * * *",
        "5-1 * * * *",
        "x * * * *",
    ],
)
def test_cron_rejects_bad_patterns(pattern: str) -> None:
    with pytest.raises(InvalidArgument):
        Cron.parse(pattern)


NEW_YORK = ZoneInfo("America/New_York")
# 2026 in New York: clocks spring forward on Sunday 8 March at 02:00 EST (07:00Z) to 03:00 EDT,
# and fall back on Sunday 1 November at 02:00 EDT (06:00Z) to 01:00 EST.


def utc(text: str) -> datetime:
    return at(text).astimezone(NEW_YORK)


def fires(pattern: str, after: datetime, count: int) -> list[str]:
    """The next ``count`` fires after ``after``, as UTC instants and New York wall clocks."""
    cron, out = Cron.parse(pattern), []
    moment: datetime | None = after
    for _ in range(count):
        assert moment is not None
        moment = cron.next_after(moment)
        assert moment is not None and moment.tzinfo is NEW_YORK
        out.append(f"{moment.astimezone(UTC):%m-%dT%H:%MZ} {moment:%H:%M %Z}")
    return out


def test_dst_a_daily_alarm_keeps_its_wall_clock_minute_across_both_changes() -> None:
    assert fires("0 9 * * *", utc("2026-03-07T00:00:00"), 2) == [
        "03-07T14:00Z 09:00 EST",
        "03-08T13:00Z 09:00 EDT",  # 23 hours later: still nine o'clock
    ]
    assert fires("0 9 * * *", utc("2026-10-31T00:00:00"), 2) == [
        "10-31T13:00Z 09:00 EDT",
        "11-01T14:00Z 09:00 EST",  # 25 hours later
    ]


def test_dst_spring_forward_a_time_in_the_gap_fires_right_after_it() -> None:
    assert fires("30 2 * * *", utc("2026-03-07T00:00:00"), 3) == [
        "03-07T07:30Z 02:30 EST",
        "03-08T07:00Z 03:00 EDT",  # 02:30 does not exist that night
        "03-09T06:30Z 02:30 EDT",
    ]


def test_dst_fall_back_a_time_in_the_repeated_hour_fires_once() -> None:
    assert fires("30 1 * * *", utc("2026-10-31T12:00:00"), 2) == [
        "11-01T05:30Z 01:30 EDT",
        "11-02T06:30Z 01:30 EST",  # not again at 01:30 EST on 1 November
    ]


def test_dst_fall_back_from_inside_the_second_pass_does_not_go_back() -> None:
    second_pass = utc("2026-11-01T06:10:00")  # 01:10 EST, after the 01:30 EDT fire
    assert second_pass.fold == 1
    assert fires("30 1 * * *", second_pass, 1) == ["11-02T06:30Z 01:30 EST"]


def test_dst_minute_steps_count_real_time_through_both_passes() -> None:
    assert fires("*/30 * * * *", utc("2026-11-01T04:50:00"), 5) == [
        "11-01T05:00Z 01:00 EDT",
        "11-01T05:30Z 01:30 EDT",
        "11-01T06:00Z 01:00 EST",
        "11-01T06:30Z 01:30 EST",
        "11-01T07:00Z 02:00 EST",
    ]
    assert fires("0 * * * *", utc("2026-03-08T06:30:00"), 2) == [
        "03-08T07:00Z 03:00 EDT",  # 02:00 EST is 03:00 EDT: no hour is skipped in real time
        "03-08T08:00Z 04:00 EDT",
    ]


def test_dst_six_fields_count_real_time() -> None:
    assert fires("0 30 1 * * *", utc("2026-11-01T05:00:00"), 2) == [
        "11-01T05:30Z 01:30 EDT",
        "11-01T06:30Z 01:30 EST",  # a six-field expression fires in both passes
    ]
