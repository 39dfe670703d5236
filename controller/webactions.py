"""Web actions, decided without I/O: what a ``/api/v1/web/...`` path names, what the action
receives for an HTTP request, who may call it, and how its result becomes an HTTP response.

The shell is ``controller/api/web.py``; the rules are OpenWhisk's (``docs/webactions.md``):

- path ``{ns}/{pkg|default}/{action}[.ext][/extra]``; the extension picks the response
  handler (``.http`` when none), the rest of the path is ``__ow_path``;
- input: query < body parameters (JSON object or form) over the action's parameters, with
  ``__ow_method``, ``__ow_headers``, ``__ow_path`` and, as the case may be, ``__ow_user``,
  ``__ow_body`` and ``__ow_query``; a request may not set ``__ow_*`` names nor, on a ``final``
  action, override defined parameters;
- output: the result (or, for an application error, its ``error`` field) through the
  extension's handler.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum
from typing import Any
from urllib.parse import parse_qsl

from whisk.entities.activation import StatusCode
from whisk.errors import InvalidArgument, MalformedRequest, NotFound

METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"})
DEFAULT_PACKAGE = "default"
RESERVED_PREFIX = "__ow_"

PARAMETERS_NOT_ALLOWED = (
    "Request defines parameters that are not allowed (e.g., reserved properties)."
)
INVALID_HTTP = "Response is not valid 'message/http'."
PROPERTY_NOT_FOUND = "Response does not include requested property."
PROCESSING_ERROR = "There was an error processing your request."
NOT_READY = "Response not yet ready."

HTML_TYPE = "text/html; charset=UTF-8"
TEXT_TYPE = "text/plain; charset=UTF-8"
CORS_ALLOW_METHODS = "OPTIONS, GET, DELETE, POST, PUT, HEAD, PATCH"
CORS_DEFAULT_HEADERS = "Authorization, Origin, X-Requested-With, Content-Type, Accept, User-Agent"

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
_FORM = "application/x-www-form-urlencoded"
# Headers the HTTP server computes itself; an action's values for them are dropped.
_SERVER_HEADERS = frozenset({"content-length", "transfer-encoding", "connection"})


class Extension(Enum):
    HTTP = "http"
    JSON = "json"
    HTML = "html"
    SVG = "svg"
    TEXT = "text"


# ---------------------------------------------------------------------------- the path
@dataclass(frozen=True, slots=True)
class WebPath:
    namespace: str
    package: str | None  # None for ``default``
    action: str
    extension: Extension
    extra_path: str  # "" or "/a/b": becomes ``__ow_path``


def parse_web_path(path: str) -> WebPath:
    """``path`` is what follows ``/api/v1/web/``. Fewer than three segments: 404."""
    parts = path.split("/", 3)
    if len(parts) < 3 or not all(parts[:3]):
        raise NotFound()
    namespace, package, segment = parts[0], parts[1], parts[2]
    extra = "/" + parts[3] if len(parts) == 4 else ""
    extension = Extension.HTTP
    name, dot, suffix = segment.rpartition(".")
    if dot and name and suffix in {e.value for e in Extension}:
        extension, segment = Extension(suffix), name
    return WebPath(
        namespace, None if package == DEFAULT_PACKAGE else package, segment, extension, extra
    )


# ---------------------------------------------------------------------------- who may call
class AuthKind(Enum):
    OPEN = "open"
    IDENTITY = "identity"  # any valid Whisk key (Basic auth)
    SECRET = "secret"  # header X-Require-Whisk-Auth must equal the annotation


@dataclass(frozen=True, slots=True)
class AuthRequirement:
    kind: AuthKind
    secret: str = ""

    def secret_matches(self, header: str | None) -> bool:
        return self.kind is AuthKind.SECRET and header is not None and header == self.secret


def auth_requirement(annotation: Any) -> AuthRequirement:
    """The ``require-whisk-auth`` annotation: ``true`` needs a Whisk identity, a string or a
    number is a shared secret, absent/false/empty is open. Any other value fails closed."""
    if annotation is None or annotation is False or annotation == "":
        return AuthRequirement(AuthKind.OPEN)
    if annotation is True:
        return AuthRequirement(AuthKind.IDENTITY)
    if isinstance(annotation, int | float):
        number = int(annotation) if float(annotation).is_integer() else annotation
        return AuthRequirement(AuthKind.SECRET, str(number))
    if isinstance(annotation, str):
        return AuthRequirement(AuthKind.SECRET, annotation)
    return AuthRequirement(AuthKind.IDENTITY)


def cors_headers(requested_headers: str | None) -> dict[str, str]:
    return {
        "Access-Control-Allow-Origin": "*",
        "Access-Control-Allow-Methods": CORS_ALLOW_METHODS,
        "Access-Control-Allow-Headers": requested_headers or CORS_DEFAULT_HEADERS,
    }


# ---------------------------------------------------------------------------- the input
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
        except ValueError as exc:
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


# ---------------------------------------------------------------------------- the output
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
