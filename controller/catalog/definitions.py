"""What the ``/whisk.system`` catalog holds: its packages and their actions.

Pure data plus a fingerprint: the catalog's version is a hash of these definitions and of the
action sources, so a controller re-installs the catalog exactly when either changes.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from importlib import resources
from typing import Any

SYSTEM_NAMESPACE = "whisk.system"
KIND = "python:3.11"


@dataclass(frozen=True, slots=True)
class CatalogAction:
    name: str
    source: str  # file name in controller/catalog/sources/
    description: str
    parameters: tuple[tuple[str, str], ...] = ()  # (name, description), for tools' help
    feed: bool = False
    web: bool = False  # web-export and final (the apimgmt actions)


@dataclass(frozen=True, slots=True)
class CatalogPackage:
    name: str
    description: str
    actions: tuple[CatalogAction, ...]
    publish: bool = True


def _feed(name: str, description: str, *params: tuple[str, str]) -> CatalogAction:
    lifecycle = (
        ("lifecycleEvent", "CREATE, READ, UPDATE, DELETE, PAUSE or UNPAUSE"),
        ("triggerName", "the trigger to fire, /namespace/name"),
        ("authKey", "the key of the trigger's owner"),
    )
    return CatalogAction(name, "feed.py", description, (*lifecycle, *params), feed=True)


def _apimgmt(name: str, description: str) -> CatalogAction:
    """A route management web action: the controller answers its web path itself
    (controller/api/gateway.py); the stored action documents it and runs only if invoked."""
    return CatalogAction(name, "apimgmt.py", description, web=True)


ALARM_COMMON = (
    ("trigger_payload", "the payload each fire carries"),
    ("startDate", "no fire before this date (ISO 8601 or epoch ms)"),
    ("stopDate", "no fire after this date (ISO 8601 or epoch ms)"),
    ("maxTriggers", "stop after this many fires (-1: unlimited)"),
)

PACKAGES: tuple[CatalogPackage, ...] = (
    CatalogPackage(
        "utils",
        "Building blocks that format and assemble data",
        (
            CatalogAction("echo", "echo.py", "Returns its input", (("payload", "any value"),)),
            CatalogAction(
                "cat", "cat.py", "Concatenates lines into a payload", (("lines", "an array"),)
            ),
            CatalogAction("sort", "sort.py", "Sorts lines", (("lines", "an array"),)),
            CatalogAction(
                "head",
                "head.py",
                "Extracts the first lines",
                (("lines", "an array"), ("num", "how many (default 1)")),
            ),
            CatalogAction(
                "split",
                "split.py",
                "Splits a payload into lines",
                (("payload", "a string"), ("separator", "default: line breaks")),
            ),
            CatalogAction("date", "date.py", "The current date and time"),
        ),
    ),
    CatalogPackage(
        "alarms",
        "Triggers fired on a schedule",
        (
            _feed(
                "alarm",
                "Fires a trigger on a cron schedule",
                ("cron", "minute hour day-of-month month day-of-week (a seconds field may lead)"),
                ("timezone", "an IANA time zone name for the cron fields (default UTC)"),
                *ALARM_COMMON,
            ),
            _feed(
                "interval",
                "Fires a trigger every few minutes",
                ("minutes", "the interval in minutes"),
                *ALARM_COMMON,
            ),
            _feed(
                "once",
                "Fires a trigger once, at a date",
                ("date", "when (ISO 8601 or epoch ms)"),
                ("deleteAfterFire", "false, true or 'rules'"),
                ("trigger_payload", "the payload of the fire"),
            ),
        ),
    ),
    CatalogPackage(
        "messaging",
        "Triggers fired by messages on Kafka topics",
        (
            _feed(
                "kafkaFeed",
                "Fires a trigger with the messages arriving on a Kafka topic",
                ("brokers", "array of host:port"),
                ("topic", "the topic to listen to"),
                ("isJSONData", "parse values as JSON"),
                ("isBinaryKey", "base64-encode keys"),
                ("isBinaryValue", "base64-encode values"),
            ),
        ),
    ),
    CatalogPackage(
        "apimgmt",
        "This package manages the gateway API configuration.",
        (
            _apimgmt("getApi", "Retrieve the specified API configuration (in JSON format)"),
            _apimgmt("createApi", "Create an API"),
            _apimgmt("deleteApi", "Delete the API"),
        ),
        publish=False,
    ),
)


def source_of(action: CatalogAction) -> str:
    return resources.files("controller.catalog.sources").joinpath(action.source).read_text()


def action_body(action: CatalogAction, version: str) -> dict[str, Any]:
    """The PUT body of a catalog action."""
    annotations: list[dict[str, Any]] = [
        {"key": "description", "value": action.description},
        {
            "key": "parameters",
            "value": [{"name": n, "description": d} for n, d in action.parameters],
        },
        {"key": "catalog", "value": version},
    ]
    if action.feed:
        annotations.append({"key": "feed", "value": True})
    if action.web:
        annotations.append({"key": "web-export", "value": True})
        annotations.append({"key": "final", "value": True})
    return {"exec": {"kind": KIND, "code": source_of(action)}, "annotations": annotations}


def package_body(package: CatalogPackage, version: str) -> dict[str, Any]:
    return {
        "publish": package.publish,
        "annotations": [
            {"key": "description", "value": package.description},
            {"key": "catalog", "value": version},
        ],
    }


def catalog_version() -> str:
    """A fingerprint of every definition and source: changes exactly when the catalog does."""
    digest = hashlib.sha256()
    for package in PACKAGES:
        digest.update(json.dumps(package_body(package, ""), sort_keys=True).encode())
        for action in package.actions:
            digest.update(json.dumps(action_body(action, ""), sort_keys=True).encode())
    return digest.hexdigest()[:16]
