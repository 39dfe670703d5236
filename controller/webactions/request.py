"""An HTTP request to a web action made into the action's input (its ``__ow_*`` parameters).

Query < body parameters (JSON object or form) over the action's parameters, with
``__ow_method``, ``__ow_headers``, ``__ow_path`` and, as the case may be, ``__ow_user``,
``__ow_body`` and ``__ow_query``; a request may not set ``__ow_*`` names nor, on a ``final``
action, override defined parameters.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from controller.webactions.media import is_binary_type, is_json_type, media_type
from whisk.errors import InvalidArgument, MalformedRequest

METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"})
RESERVED_PREFIX = "__ow_"

PARAMETERS_NOT_ALLOWED = (
    "Request defines parameters that are not allowed (e.g., reserved properties)."
)
_FORM = "application/x-www-form-urlencoded"


@dataclass(frozen=True, slots=True)
class WebRequest:
    method: str
    headers: tuple[tuple[str, str], ...]  # as received, repeated names allowed
    query_string: str  # raw, undecoded
    body: bytes
    extra_path: str = ""
    user: str | None = None  # the caller's namespace, when require-whisk-auth identified it

    @property
    def content_type(self) -> str:
        for name, value in self.headers:
            if name.lower() == "content-type":
                return media_type(value)
        return "application/octet-stream" if self.body else ""


# Credentials the caller sent to the controller never reach the action: with
# require-whisk-auth the Authorization header carries the caller's own Whisk key.
HIDDEN_HEADERS = frozenset({"authorization", "x-require-whisk-auth"})


def lower_headers(headers: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Names lower-cased; repeated headers joined with ``, ``; credentials left out."""
    out: dict[str, str] = {}
    for name, value in headers:
        key = name.lower()
        if key in HIDDEN_HEADERS:
            continue
        out[key] = f"{out[key]}, {value}" if key in out else value
    return out


def _as_text(body: bytes) -> str | None:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _opaque_body(body: bytes, media: str, *, raw: bool) -> str:
    """``__ow_body``: text as is, binary (and JSON when raw) base64-encoded."""
    text = None if is_binary_type(media) or (raw and is_json_type(media)) else _as_text(body)
    return text if text is not None else base64.b64encode(body).decode("ascii")


def _body_params(request: WebRequest) -> tuple[dict[str, Any], str | None]:
    """Parameters a non-raw request body contributes, or the ``__ow_body`` string."""
    body, media = request.body, request.content_type
    if not body:
        return {}, None
    if is_json_type(media):
        text = _as_text(body)
        if text is not None and not text.strip():
            return {}, None
        if text is None:
            raise MalformedRequest("The request content was malformed: not UTF-8.")
        try:
            value = json.loads(text)
        except (ValueError, RecursionError) as exc:  # too deeply nested is malformed too
            raise MalformedRequest(f"The request content was malformed:\n{exc}") from exc
        if isinstance(value, dict):
            return value, None
        return {}, text
    if media == _FORM:
        text = _as_text(body)
        if text is None:
            raise MalformedRequest("The request content was malformed: not UTF-8.")
        return dict(parse_qsl(text, keep_blank_values=True)), None
    return {}, _opaque_body(body, media, raw=False)


def build_input(
    request: WebRequest,
    *,
    raw: bool,
    final: bool = False,
    defined: Iterable[str] = (),
) -> dict[str, Any]:
    """The action's payload for a web request (merged over its parameters by the invocation).

    Raw actions get the query string and the body unparsed; others get query and body
    parameters as top-level keys (body wins) and ``__ow_body`` only for a body that is not a
    JSON object or form data. Setting ``__ow_*`` names, or overriding ``defined`` parameters
    of a ``final`` action, is refused."""
    params: dict[str, Any] = {}
    opaque: str | None = None
    if not raw:
        params.update(parse_qsl(request.query_string, keep_blank_values=True))
        body_params, opaque = _body_params(request)
        params.update(body_params)
        if any(key.startswith(RESERVED_PREFIX) for key in params):
            raise InvalidArgument(PARAMETERS_NOT_ALLOWED)
        if final and set(params) & set(defined):
            raise InvalidArgument(PARAMETERS_NOT_ALLOWED)
    params["__ow_method"] = request.method.lower()
    params["__ow_headers"] = lower_headers(request.headers)
    params["__ow_path"] = request.extra_path
    if request.user is not None:
        params["__ow_user"] = request.user
    if raw:
        params["__ow_body"] = (
            _opaque_body(request.body, request.content_type, raw=True) if request.body else ""
        )
        params["__ow_query"] = request.query_string
    elif opaque is not None:
        params["__ow_body"] = opaque
    return params
