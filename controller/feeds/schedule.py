"""Alarm schedules, pure: the feed parameters of ``alarm``, ``interval`` and ``once`` checked
into an ``AlarmSpec``, when each fires first and next, and what each fire carries.

Missed fires (no controller running at the due time) are not made up: the next due time after a
fire is the first one after *now*, as OpenWhisk's alarms provider does.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from controller.feeds.cron import Cron
from whisk.errors import InvalidArgument

MINUTE_MS = 60_000


class AlarmKind(StrEnum):
    ALARM = "alarm"
    INTERVAL = "interval"
    ONCE = "once"


class AfterFire(StrEnum):
    """What a ``once`` alarm's ``deleteAfterFire`` asks for once it has fired."""

    KEEP = "false"  # nothing is deleted: the registration is disabled
    DELETE_TRIGGER = "true"  # the trigger and its registration
    DELETE_TRIGGER_AND_RULES = "rules"  # also every rule of the namespace that names the trigger


@dataclass(frozen=True, slots=True)
class AlarmSpec:
    kind: AlarmKind
    payload: dict[str, Any]
    cron: Cron | None = None
    timezone: str = "UTC"
    interval_ms: int = 0
    date_ms: int = 0  # once
    start_ms: int | None = None
    stop_ms: int | None = None
    max_triggers: int = -1  # -1: unlimited
    after_fire: AfterFire = AfterFire.KEEP  # once


def parse_date(value: Any, name: str) -> int:
    """Epoch ms from epoch ms or an ISO 8601 string (UTC unless it says otherwise)."""
    if isinstance(value, bool):
        raise InvalidArgument(f"{name} is not a valid date")
    if isinstance(value, int | float):
        return int(value)
    if isinstance(value, str):
        if value.isdigit():
            return int(value)
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise InvalidArgument(f"{name} is not a valid date") from None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return int(moment.timestamp() * 1000)
    raise InvalidArgument(f"{name} is not a valid date")


def fire_payload(value: Any) -> dict[str, Any]:
    """``trigger_payload`` as the fire's body: an object as is, JSON text parsed, anything else
    under ``payload``."""
    if value is None:
        return {}
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return {"payload": value}
    return value if isinstance(value, dict) else {"payload": value}


def after_fire(value: Any) -> AfterFire:
    """``deleteAfterFire``: false/true/"rules" as JSON, or "false"/"true" as text; absent is
    false."""
    if value is None or value is False or value == "":
        return AfterFire.KEEP
    if value is True:
        return AfterFire.DELETE_TRIGGER
    if isinstance(value, str):
        try:
            return AfterFire(value.strip().lower())
        except ValueError:
            pass
    raise InvalidArgument(
        f'deleteAfterFire must be false, true or "rules", not {json.dumps(value)}'
    )


def alarm_timezone(value: Any) -> str:
    """``timezone``: an IANA zone name (``America/New_York``) the cron fields are read in;
    absent or empty is UTC."""
    if value is None or value == "":
        return "UTC"
    if isinstance(value, str):
        try:
            ZoneInfo(value)
            return value
        except (ZoneInfoNotFoundError, ValueError):
            pass
    raise InvalidArgument(f"timezone {json.dumps(value)} is not a valid IANA time zone name")


def _optional_date(params: dict[str, Any], name: str) -> int | None:
    return None if params.get(name) in (None, "") else parse_date(params[name], name)


def alarm_spec(feed: str, params: dict[str, Any]) -> AlarmSpec:
    try:
        kind = AlarmKind(feed)
    except ValueError:
        raise InvalidArgument(f"unknown alarms feed '{feed}'") from None
    payload = fire_payload(params.get("trigger_payload"))
    start, stop = _optional_date(params, "startDate"), _optional_date(params, "stopDate")
    if start is not None and stop is not None and stop <= start:
        raise InvalidArgument("stopDate must be after startDate")
    max_triggers = params.get("maxTriggers", -1)
    if type(max_triggers) is not int or max_triggers == 0 or max_triggers < -1:
        raise InvalidArgument("maxTriggers must be a positive integer or -1")
    common: dict[str, Any] = {
        "payload": payload,
        "start_ms": start,
        "stop_ms": stop,
        "max_triggers": max_triggers,
    }
    if kind is AlarmKind.ALARM:
        cron = params.get("cron")
        if not isinstance(cron, str) or not cron.strip():
            raise InvalidArgument("alarms trigger feed is missing the cron parameter")
        timezone = alarm_timezone(params.get("timezone"))
        return AlarmSpec(kind, cron=Cron.parse(cron), timezone=timezone, **common)
    if kind is AlarmKind.INTERVAL:
        minutes = params.get("minutes")
        if type(minutes) is not int or minutes < 1:
            raise InvalidArgument("interval trigger feed needs minutes, a positive integer")
        return AlarmSpec(kind, interval_ms=minutes * MINUTE_MS, **common)
    if params.get("date") in (None, ""):
        raise InvalidArgument("once trigger feed is missing the date parameter")
    return AlarmSpec(
        kind,
        date_ms=parse_date(params["date"], "date"),
        payload=payload,
        after_fire=after_fire(params.get("deleteAfterFire")),
    )


def _next_cron(spec: AlarmSpec, after_ms: int) -> int | None:
    assert spec.cron is not None
    zone = ZoneInfo(spec.timezone)
    moment = datetime.fromtimestamp(after_ms / 1000, tz=UTC).astimezone(zone)
    found = spec.cron.next_after(moment)
    return None if found is None else int(found.timestamp() * 1000)


def _within_stop(spec: AlarmSpec, due: int | None) -> int | None:
    if due is None or (spec.stop_ms is not None and due > spec.stop_ms):
        return None
    return due


def first_fire(spec: AlarmSpec, now_ms: int) -> int | None:
    """When a new registration fires first; None when it never will (checked at CREATE)."""
    if spec.kind is AlarmKind.ONCE:
        return spec.date_ms if spec.date_ms > now_ms else None
    begin = max(now_ms, spec.start_ms or now_ms)
    if spec.kind is AlarmKind.INTERVAL:
        due = (
            spec.start_ms if spec.start_ms and spec.start_ms > now_ms else now_ms + spec.interval_ms
        )
        return _within_stop(spec, due)
    return _within_stop(spec, _next_cron(spec, begin - 1 if begin > now_ms else now_ms))


def next_fire(spec: AlarmSpec, due_ms: int, now_ms: int, fires_before: int) -> int | None:
    """The due time after the fire due at ``due_ms`` (fired at ``now_ms``, after
    ``fires_before`` earlier fires); None when that fire is the last."""
    if spec.kind is AlarmKind.ONCE:
        return None
    if spec.max_triggers != -1 and fires_before + 1 >= spec.max_triggers:
        return None
    if spec.kind is AlarmKind.INTERVAL:
        behind = max(0, now_ms - due_ms) // spec.interval_ms
        return _within_stop(spec, due_ms + (behind + 1) * spec.interval_ms)
    return _within_stop(spec, _next_cron(spec, max(due_ms, now_ms)))
