"""Parameters, annotations and web flags as wsk builds them (pure, plus reading named files)."""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from whisk.errors import InvalidArgument

WEB_VALUES = {"true": "true", "yes": "true", "false": "false", "no": "false", "raw": "raw"}
MAX_SAFE_INTEGER = 2**53 - 1


def parse_value(text: str) -> Any:
    """JSON when the text parses as JSON (``5`` -> 5, ``{"a":1}`` -> dict), else the string."""
    try:
        return json.loads(text)
    except ValueError:
        return text


def read_json_file(path: str, what: str) -> dict[str, Any]:
    try:
        content = Path(path).read_text()
    except OSError as exc:
        raise InvalidArgument(f"Cannot read the {what} file '{path}': {exc.strerror}.") from exc
    try:
        value = json.loads(content)
    except ValueError as exc:
        raise InvalidArgument(f"The {what} file '{path}' is not valid JSON: {exc}.") from exc
    if not isinstance(value, dict):
        raise InvalidArgument(f"The {what} file '{path}' must hold a JSON object.")
    return value


def collect(pairs: Iterable[tuple[str, str]], file: str | None, what: str) -> dict[str, Any]:
    """``-P FILE`` first, then each ``-p KEY VALUE`` over it, as wsk merges them."""
    merged: dict[str, Any] = read_json_file(file, what) if file else {}
    for key, value in pairs:
        merged[key] = parse_value(value)
    return merged


def key_values(mapping: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"key": k, "value": v} for k, v in mapping.items()]


def web_annotations(web: str) -> dict[str, Any]:
    """``--web true|yes|raw|false|no`` -> the annotations wsk sets."""
    choice = WEB_VALUES.get(web.lower())
    if choice is None:
        raise InvalidArgument(
            f"Invalid argument '{web}' for --web flag. Valid input consist of 'yes', 'true', "
            "'raw', 'false', or 'no'."
        )
    on = choice != "false"
    return {"web-export": on, "raw-http": choice == "raw", "final": on}


def web_secure_annotation(secret: str, web_enabled: bool) -> dict[str, Any]:
    """``--web-secure true|false|SECRET``; only with a web action."""
    if not web_enabled:
        raise InvalidArgument(
            "The --web-secure option is only valid when the --web flag is enabled."
        )
    if secret.lower() == "false":
        return {"require-whisk-auth": False}
    if secret.lower() == "true":
        return {"require-whisk-auth": secrets.randbits(53) & MAX_SAFE_INTEGER}
    return {"require-whisk-auth": secret}


def annotation_value(annotations: Any, key: str, default: Any = None) -> Any:
    for note in annotations or []:
        if isinstance(note, dict) and note.get("key") == key:
            return note.get("value")
    return default
