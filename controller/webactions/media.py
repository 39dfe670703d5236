"""Content types of web requests and responses: which bodies are text and which binary."""

from __future__ import annotations

# Content types whose bodies are text; anything else is binary (base64 on the wire to/from
# the action).
_TEXT_APPLICATION_TYPES = frozenset(
    {
        "application/json",
        "application/xml",
        "application/javascript",
        "application/ecmascript",
        "application/x-www-form-urlencoded",
        "application/xhtml+xml",
        "application/graphql",
        "application/x-javascript",
        "image/svg+xml",
    }
)


def media_type(content_type: str) -> str:
    """``Text/HTML; charset=utf-8`` -> ``text/html``."""
    return content_type.split(";", 1)[0].strip().lower()


def is_json_type(media: str) -> bool:
    return media == "application/json" or media.endswith("+json")


def is_binary_type(media: str) -> bool:
    if not media:
        return True
    if media.startswith("text/") or is_json_type(media) or media.endswith("+xml"):
        return False
    return media not in _TEXT_APPLICATION_TYPES
