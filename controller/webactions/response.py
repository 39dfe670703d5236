"""An activation's result made into the HTTP response of a web action.

Success: the (projected) result through the extension's handler; application error: its
``error`` field through the same handler; developer and whisk errors: 400.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Any

from controller.webactions.media import is_binary_type, is_json_type, media_type
from controller.webactions.paths import Extension
from whisk.entities.activation import StatusCode
from whisk.errors import InvalidArgument, NotFound

INVALID_HTTP = "Response is not valid 'message/http'."
PROPERTY_NOT_FOUND = "Response does not include requested property."
PROCESSING_ERROR = "There was an error processing your request."
NOT_READY = "Response not yet ready."

HTML_TYPE = "text/html; charset=UTF-8"
TEXT_TYPE = "text/plain; charset=UTF-8"
# Headers the HTTP server computes itself; an action's values for them are dropped.
_SERVER_HEADERS = frozenset({"content-length", "transfer-encoding", "connection"})


@dataclass(frozen=True, slots=True)
class WebResponse:
    status: int
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""
    content_type: str | None = None  # None: whatever the action's headers say, or nothing


def render_activation(
    extension: Extension, extra_path: str, status: StatusCode, result: Any
) -> WebResponse:
    """A finished activation as HTTP. Success: the (projected) result through the
    extension's handler; application error: its ``error`` field through the same handler;
    developer and whisk errors: 400."""
    if status is StatusCode.SUCCESS:
        value = _project(result, extension, extra_path)
    elif status is StatusCode.APPLICATION_ERROR:
        value = _lookup(result, ["error"])
    else:
        raise InvalidArgument(PROCESSING_ERROR)
    if value is None:
        raise NotFound(PROPERTY_NOT_FOUND)
    return render_value(extension, value)


_DEFAULT_PROPERTIES = {
    Extension.HTML: ("body", "html"),
    Extension.SVG: ("body", "svg"),
    Extension.TEXT: ("body", "text"),
}


def _project(result: Any, extension: Extension, extra_path: str) -> Any:
    if extension is Extension.HTTP:
        return result
    segments = [s for s in extra_path.split("/") if s]
    if segments:
        return _lookup(result, segments)
    if extension is Extension.JSON:
        return result
    for name in _DEFAULT_PROPERTIES[extension]:
        value = _lookup(result, [name])
        if value is not None:
            return value
    return None


def _lookup(value: Any, segments: list[str]) -> Any:
    for segment in segments:
        if not isinstance(value, dict) or segment not in value:
            return None
        value = value[segment]
    return value


def render_value(extension: Extension, value: Any) -> WebResponse:
    if extension is Extension.HTTP:
        return render_http(value)
    if extension is Extension.JSON:
        if not isinstance(value, dict | list):
            raise InvalidArgument("Response is not valid 'application/json'.")
        return WebResponse(200, body=_json_bytes(value), content_type="application/json")
    if extension is Extension.TEXT:
        text = value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))
        return WebResponse(200, body=text.encode(), content_type=TEXT_TYPE)
    media = "text/html" if extension is Extension.HTML else "image/svg+xml"
    if not isinstance(value, str):
        raise InvalidArgument(f"Response is not valid '{media}'.")
    content_type = HTML_TYPE if extension is Extension.HTML else media
    return WebResponse(200, body=value.encode(), content_type=content_type)


def render_http(value: Any) -> WebResponse:
    """``{headers?, statusCode?, body?}`` as an HTTP response; anything else is 400."""
    if not isinstance(value, dict):
        raise InvalidArgument(INVALID_HTTP)
    headers = _http_headers(value.get("headers"))
    status = _http_status(value.get("statusCode", value.get("code")))
    declared = next((v for k, v in headers if k.lower() == "content-type"), None)
    body, content_type = _http_body(value.get("body"), declared)
    if status is None:
        status = 200 if body else 204
    kept = tuple(h for h in headers if h[0].lower() not in _SERVER_HEADERS)
    return WebResponse(status, kept, body, content_type)


def _http_headers(value: Any) -> tuple[tuple[str, str], ...]:
    if value is None:
        return ()
    if not isinstance(value, dict):
        raise InvalidArgument(INVALID_HTTP)
    out: list[tuple[str, str]] = []
    for name, item in value.items():
        for one in item if isinstance(item, list) else [item]:
            out.append((name, _header_value(one)))
    return tuple(out)


def _header_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return str(value)
    raise InvalidArgument(INVALID_HTTP)


def _http_status(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise InvalidArgument(INVALID_HTTP)
    try:
        number = float(value)
    except ValueError:
        raise InvalidArgument(INVALID_HTTP) from None
    if not number.is_integer() or not 100 <= number <= 599:
        raise InvalidArgument(INVALID_HTTP)
    return int(number)


def _http_body(body: Any, declared: str | None) -> tuple[bytes, str | None]:
    """The response bytes and the content type to set (None: the declared header stands)."""
    if body is None or body == "":
        return b"", None
    if declared is None:
        if isinstance(body, str):
            return body.encode(), HTML_TYPE
        return _json_bytes(body), "application/json"
    media = media_type(declared)
    if not isinstance(body, str):
        if is_json_type(media):
            return _json_bytes(body), None
        raise InvalidArgument(INVALID_HTTP)
    if is_json_type(media):
        return _json_text_or_base64(body), None
    if is_binary_type(media):
        return _strict_base64(body), None
    return body.encode(), None


def _json_text_or_base64(body: str) -> bytes:
    """A JSON body may come as JSON text or, as OpenWhisk's docs show, base64 of it."""
    try:
        json.loads(body)
        return body.encode()
    except ValueError:
        pass
    try:
        return _strict_base64(body)
    except InvalidArgument:
        return body.encode()


def _strict_base64(text: str) -> bytes:
    try:
        return base64.b64decode("".join(text.split()), validate=True)
    except (binascii.Error, ValueError):
        raise InvalidArgument(INVALID_HTTP) from None


def _json_bytes(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()
