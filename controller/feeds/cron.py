"""Cron schedules, pure: parse five fields (minute hour day-of-month month day-of-week) or six
(seconds first, as OpenWhisk's alarms package allows) and find the next matching time.

Fields take ``*``, numbers, ranges ``a-b``, steps ``*/n`` and ``a-b/n``, and lists joined with
commas; months and weekdays also take names (``jan``, ``mon``). Day-of-week 0 and 7 are Sunday.
As in Vixie cron, when both day fields are restricted a day matching either one matches.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from whisk.errors import InvalidArgument

MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
WEEKDAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]
HORIZON_DAYS = 366 * 5  # a schedule with no match within five years never fires


@dataclass(frozen=True, slots=True)
class Cron:
    seconds: frozenset[int]
    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]  # day of month, 1-31
    months: frozenset[int]  # 1-12
    weekdays: frozenset[int]  # 0-6, Sunday 0
    days_restricted: bool
    weekdays_restricted: bool

    @classmethod
    def parse(cls, text: str) -> Cron:
        fields = text.split()
        if len(fields) == 5:
            fields = ["0", *fields]
        if len(fields) != 6:
            raise InvalidArgument(f"cron pattern '{text}' must have 5 or 6 fields")
        second, minute, hour, day, month, weekday = fields
        weekdays = {d % 7 for d in _field(weekday, 0, 7, WEEKDAYS)}
        return cls(
            seconds=frozenset(_field(second, 0, 59)),
            minutes=frozenset(_field(minute, 0, 59)),
            hours=frozenset(_field(hour, 0, 23)),
            days=frozenset(_field(day, 1, 31)),
            months=frozenset(_field(month, 1, 12, MONTHS, first=1)),
            weekdays=frozenset(weekdays),
            days_restricted=not day.startswith("*"),
            weekdays_restricted=not weekday.startswith("*"),
        )

    def day_matches(self, moment: datetime) -> bool:
        in_month = moment.day in self.days
        in_week = (moment.isoweekday() % 7) in self.weekdays
        if self.days_restricted and self.weekdays_restricted:
            return in_month or in_week
        return in_month and in_week

    def matches(self, moment: datetime) -> bool:
        return (
            moment.month in self.months
            and self.day_matches(moment)
            and moment.hour in self.hours
            and moment.minute in self.minutes
            and moment.second in self.seconds
        )

    def next_after(self, moment: datetime) -> datetime | None:
        """The first matching second strictly after ``moment`` (same tzinfo; wall-clock
        arithmetic), or None when nothing matches within the horizon."""
        tz = moment.tzinfo
        t = moment.replace(tzinfo=None, microsecond=0) + timedelta(seconds=1)
        limit = t + timedelta(days=HORIZON_DAYS)
        while t < limit:
            if t.month not in self.months:
                t = (t.replace(day=1) + timedelta(days=32)).replace(
                    day=1, hour=0, minute=0, second=0
                )
            elif not self.day_matches(t):
                t = t.replace(hour=0, minute=0, second=0) + timedelta(days=1)
            elif t.hour not in self.hours:
                t = t.replace(minute=0, second=0) + timedelta(hours=1)
            elif t.minute not in self.minutes:
                t = t.replace(second=0) + timedelta(minutes=1)
            elif t.second not in self.seconds:
                t = t + timedelta(seconds=1)
            else:
                return t.replace(tzinfo=tz)
        return None


def _value(text: str, low: int, high: int, names: list[str] | None, first: int) -> int:
    lowered = text.lower()
    if names is not None and lowered in names:
        return names.index(lowered) + first
    if not text.isdigit():
        raise InvalidArgument(f"cron value '{text}' is not a number")
    value = int(text)
    if not low <= value <= high:
        raise InvalidArgument(f"cron value {value} is outside {low}-{high}")
    return value


def _field(
    text: str, low: int, high: int, names: list[str] | None = None, first: int = 0
) -> set[int]:
    values: set[int] = set()
    for part in text.split(","):
        body, _, step_text = part.partition("/")
        step = _value(step_text, 1, high, None, 0) if step_text else 1
        if body == "*":
            start, end = low, high
        elif "-" in body:
            a, _, b = body.partition("-")
            start, end = _value(a, low, high, names, first), _value(b, low, high, names, first)
            if start > end:
                raise InvalidArgument(f"cron range '{body}' is reversed")
        else:
            start = _value(body, low, high, names, first)
            end = high if step_text else start
        values.update(range(start, end + 1, step))
    return values
