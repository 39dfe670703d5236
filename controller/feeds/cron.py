"""Cron schedules, pure: a cron expression checked once and stepped in a time zone, by
``cronsim``.

Five fields (minute hour day-of-month month day-of-week) or six (seconds first, as OpenWhisk's
alarms package allows). Fields take ``*``, numbers, ranges, steps, lists and names (``jan``,
``mon``); day-of-week 0 and 7 are Sunday; when both day fields are restricted a day matching
either one matches (Debian cron). cronsim also takes ``L``, ``LW`` and ``mon#2``.

Daylight-saving changes follow Debian cron. A five-field expression at a fixed minute and hour
(``30 2 * * *``) fires once a day at that wall-clock time: on the day the clocks spring forward
past it, it fires at the first minute after the gap (03:00); on the day they fall back, it fires
at the first of the two 01:30s only. Any other expression (``*/15 * * * *``, ``0 * * * *``, six
fields) counts real time, so it fires in both passes of a repeated hour and not in a skipped
one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from cronsim import CronSim, CronSimError

from whisk.errors import InvalidArgument

_CHECK_AT = datetime(2000, 1, 1, tzinfo=UTC)  # any moment: cronsim parses when constructed


@dataclass(frozen=True, slots=True)
class Cron:
    expression: str  # fields joined by one space; checked by ``parse``

    @classmethod
    def parse(cls, text: str) -> Cron:
        fields = text.split()
        if len(fields) not in (5, 6):
            raise InvalidArgument(f"cron pattern '{text}' must have 5 or 6 fields")
        expression = " ".join(fields)
        try:
            CronSim(expression, _CHECK_AT)
        except CronSimError as exc:
            raise InvalidArgument(f"cron pattern '{text}' is not valid: {exc}") from None
        return cls(expression)

    def next_after(self, moment: datetime) -> datetime | None:
        """The first matching time strictly after ``moment`` (an aware datetime, in the zone the
        fields are read in), in that zone; None when nothing matches within cronsim's 50-year
        horizon."""
        zone = moment.tzinfo
        if zone is None:
            raise ValueError("next_after needs an aware datetime")
        start = moment.astimezone(UTC) if str(zone) == "UTC" else moment  # cronsim's short path
        after = moment.timestamp()
        for found in CronSim(self.expression, start):
            # cronsim steps wall-clock times for fixed-time expressions, so after a moment in the
            # second pass of a repeated hour it may name the first pass: skip what is not later.
            # (Aware datetimes of one zone compare by wall clock, ignoring fold: use instants.)
            if found.timestamp() > after:
                return found.astimezone(zone)
        return None
