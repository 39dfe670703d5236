"""Alarm scheduling decisions: parameters checked, first and next due times, fire payloads."""

from __future__ import annotations

import pytest

from controller.feeds.schedule import (
    MINUTE_MS,
    alarm_spec,
    fire_payload,
    first_fire,
    next_fire,
    parse_date,
)
from whisk.errors import InvalidArgument

T0 = parse_date("2026-01-01T10:00:30Z", "now")


def test_parse_date_takes_epoch_ms_and_iso() -> None:
    assert parse_date(1_700_000_000_000, "d") == 1_700_000_000_000
    assert parse_date("1700000000000", "d") == 1_700_000_000_000
    assert parse_date("2026-01-01T10:00:30+01:00", "d") == T0 - 3_600_000
    with pytest.raises(InvalidArgument):
        parse_date("tomorrow", "d")


def test_fire_payload_shapes() -> None:
    assert fire_payload({"a": 1}) == {"a": 1}
    assert fire_payload('{"a": 1}') == {"a": 1}
    assert fire_payload("hello") == {"payload": "hello"}
    assert fire_payload(None) == {}


def test_cron_alarm_fires_at_the_next_match_and_on() -> None:
    spec = alarm_spec("alarm", {"cron": "*/5 * * * *", "trigger_payload": {"x": 1}})
    assert spec.payload == {"x": 1}
    due = first_fire(spec, T0)
    assert due == parse_date("2026-01-01T10:05:00Z", "d")
    assert next_fire(spec, due, due + 200, 0) == parse_date("2026-01-01T10:10:00Z", "d")


def test_cron_alarm_does_not_make_up_missed_fires() -> None:
    spec = alarm_spec("alarm", {"cron": "* * * * *"})
    due = parse_date("2026-01-01T10:00:00Z", "d")
    late = parse_date("2026-01-01T12:00:10Z", "d")
    assert next_fire(spec, due, late, 0) == parse_date("2026-01-01T12:01:00Z", "d")


def test_cron_alarm_respects_start_stop_and_max_triggers() -> None:
    start = parse_date("2026-02-01T00:00:00Z", "d")
    spec = alarm_spec(
        "alarm",
        {"cron": "0 * * * *", "startDate": start, "stopDate": start + 90 * MINUTE_MS},
    )
    first = first_fire(spec, T0)
    assert first == start
    second = next_fire(spec, first, first, 0)
    assert second == start + 60 * MINUTE_MS
    assert next_fire(spec, second, second, 1) is None  # 02:00 is past the stop date
    limited = alarm_spec("alarm", {"cron": "* * * * *", "maxTriggers": 2})
    assert next_fire(limited, T0, T0, 0) is not None
    assert next_fire(limited, T0, T0, 1) is None


def test_interval_fires_every_n_minutes_and_skips_missed() -> None:
    spec = alarm_spec("interval", {"minutes": 2})
    due = first_fire(spec, T0)
    assert due == T0 + 2 * MINUTE_MS
    assert next_fire(spec, due, due + 10, 0) == due + 2 * MINUTE_MS
    assert next_fire(spec, due, due + 5 * MINUTE_MS, 0) == due + 6 * MINUTE_MS


def test_once_fires_once_in_the_future() -> None:
    spec = alarm_spec("once", {"date": T0 + 5_000})
    assert first_fire(spec, T0) == T0 + 5_000
    assert next_fire(spec, T0 + 5_000, T0 + 5_000, 0) is None
    assert first_fire(spec, T0 + 6_000) is None


def test_cron_alarm_in_a_time_zone() -> None:
    spec = alarm_spec("alarm", {"cron": "0 9 * * *", "timezone": "Europe/Paris"})
    assert first_fire(spec, T0) == parse_date("2026-01-02T08:00:00Z", "d")


def test_cron_alarm_in_new_york_across_spring_forward() -> None:
    spec = alarm_spec("alarm", {"cron": "0 9 * * *", "timezone": "America/New_York"})
    assert spec.timezone == "America/New_York"
    before = parse_date("2026-03-07T12:00:00Z", "now")
    first = first_fire(spec, before)
    assert first == parse_date("2026-03-07T14:00:00Z", "d")  # 09:00 EST
    second = next_fire(spec, first, first + 150, 0)
    assert second == parse_date("2026-03-08T13:00:00Z", "d")  # 09:00 EDT, 23 hours on


def test_cron_alarm_in_new_york_fires_once_in_the_repeated_hour() -> None:
    spec = alarm_spec("alarm", {"cron": "30 1 * * *", "timezone": "America/New_York"})
    first = first_fire(spec, parse_date("2026-11-01T00:00:00Z", "now"))
    assert first == parse_date("2026-11-01T05:30:00Z", "d")  # 01:30 EDT
    # the provider fired late, inside the second 01:xx (EST): the next is the next day's 01:30
    late = parse_date("2026-11-01T06:05:00Z", "now")
    assert next_fire(spec, first, late, 0) == parse_date("2026-11-02T06:30:00Z", "d")


def test_alarm_timezone_defaults_to_utc() -> None:
    assert alarm_spec("alarm", {"cron": "* * * * *"}).timezone == "UTC"
    assert alarm_spec("alarm", {"cron": "* * * * *", "timezone": ""}).timezone == "UTC"


@pytest.mark.parametrize(
    ("feed", "params"),
    [
        ("alarm", {}),
        ("alarm", {"cron": "bad"}),
        ("alarm", {"cron": "* * * * *", "timezone": "Mars/Olympus"}),
        ("alarm", {"cron": "* * * * *", "timezone": "America"}),
        ("alarm", {"cron": "* * * * *", "timezone": "../../etc/passwd"}),
        ("alarm", {"cron": "* * * * *", "timezone": -5}),
        ("interval", {"minutes": 0}),
        ("interval", {"minutes": "5"}),
        ("once", {}),
        ("alarm", {"cron": "* * * * *", "startDate": 10, "stopDate": 5}),
        ("alarm", {"cron": "* * * * *", "maxTriggers": 0}),
        ("nightly", {}),
    ],
)
def test_alarm_spec_rejects_bad_parameters(feed: str, params: dict[str, object]) -> None:
    with pytest.raises(InvalidArgument):
        alarm_spec(feed, params)
