"""The CORS headers on every web action answer (unless the action handles OPTIONS itself)."""

from __future__ import annotations

CORS_ALLOW_METHODS = "OPTIONS, GET, DELETE, POST, PUT, HEAD, PATCH"
CORS_DEFAULT_HEADERS = "Authorization, Origin, X-Requested-With, Content-Type, Accept, User-Agent"


def cors_headers(requested_headers: str | None) -> dict[str, str]:
    return {
        "Access-Control-Allow-Origin": "*",
        "Access-Control-Allow-Methods": CORS_ALLOW_METHODS,
        "Access-Control-Allow-Headers": requested_headers or CORS_DEFAULT_HEADERS,
    }
