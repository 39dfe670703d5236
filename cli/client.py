"""The CLI's one HTTP client for OpenWhisk's REST API v1 (standard library only: one blocking
request per call suits a command line). Maps failures to errors the commands render:

    ApiError (a WhiskError)          the API answered a non-2xx status; carries status and tid
    ConnectionFailed (Unavailable)   no answer at all (refused, DNS, TLS, timeout)
"""

from __future__ import annotations

import base64
import json
import ssl
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from whisk.errors import Unavailable, WhiskError

API_PATH = "/api/v1"
USER_AGENT = "whisk-cli/1.0 (OpenWhisk-CLI compatible)"


class ApiError(WhiskError):
    """A non-2xx answer: ``status``, the server's ``message`` and transaction id ``code``."""

    def __init__(self, status: int, message: str, code: str | None = None, body: Any = None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.body = body
        self.context: str | None = None  # "Unable to get action 'x'", set by the command
        self.hint: str | None = None  # what to do next, set by the command


class ConnectionFailed(Unavailable):
    """The API host did not answer."""


@dataclass(frozen=True)
class Response:
    status: int
    body: Any  # decoded JSON, or text when not JSON, or None when empty
    headers: Mapping[str, str] = field(default_factory=dict)


def segment(name: str) -> str:
    """One path segment, quoted (names may hold spaces and @)."""
    return urllib.parse.quote(name, safe="@")


@dataclass(frozen=True)
class Client:
    base_url: str  # scheme://host[:port]
    auth: str | None
    insecure: bool = False
    debug: Callable[[str], None] | None = None
    timeout: float = 90.0

    def request(
        self,
        method: str,
        path: str,
        *,
        query: Mapping[str, Any] | None = None,
        body: Any = None,
        accept: Iterable[int] = (),
    ) -> Response:
        """``path`` is relative to ``/api/v1``; statuses in ``accept`` are not errors."""
        url = self.url(path, query)
        data = None if body is None else json.dumps(body).encode()
        headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT}
        if self.auth:
            token = base64.b64encode(self.auth.encode()).decode()
            headers["Authorization"] = f"Basic {token}"
        req = urllib.request.Request(url, data=data, method=method, headers=headers)
        self._trace(f"REQUEST: [{method}] {url}" + (f"\nReq Body: {data.decode()}" if data else ""))
        try:
            with urllib.request.urlopen(req, timeout=self.timeout, context=self._tls()) as resp:
                status, raw, hdrs = resp.status, resp.read(), dict(resp.headers)
        except urllib.error.HTTPError as exc:
            status, raw, hdrs = exc.code, exc.read(), dict(exc.headers or {})
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise ConnectionFailed(f"Unable to reach {self.base_url}: {reason}") from exc
        self._trace(f"RESPONSE: {status}\nResp Body: {raw.decode(errors='replace')}")
        decoded = _decode(raw)
        if 200 <= status < 300 or status in set(accept):
            return Response(status, decoded, hdrs)
        message, code = _error_fields(status, decoded)
        raise ApiError(status, message, code, decoded)

    def url(self, path: str, query: Mapping[str, Any] | None = None) -> str:
        url = f"{self.base_url}{API_PATH}{path}"
        if query:
            pairs = {k: _query_value(v) for k, v in query.items() if v is not None}
            if pairs:
                url += "?" + urllib.parse.urlencode(pairs)
        return url

    def _tls(self) -> ssl.SSLContext | None:
        if not self.base_url.startswith("https://"):
            return None
        context = ssl.create_default_context()
        if self.insecure:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        return context

    def _trace(self, text: str) -> None:
        if self.debug is not None:
            self.debug(text)


def _query_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _decode(raw: bytes) -> Any:
    if not raw.strip():
        return None
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return raw.decode(errors="replace")


def _error_fields(status: int, body: Any) -> tuple[str, str | None]:
    if isinstance(body, dict) and "error" in body:
        error = body["error"]
        message = error if isinstance(error, str) else json.dumps(error)
        code = body.get("code")
        return message, None if code is None else str(code)
    if isinstance(body, dict) and isinstance(body.get("response"), dict):  # an activation
        result = body["response"].get("result")
        if isinstance(result, dict) and "error" in result:
            error = result["error"]
            return (error if isinstance(error, str) else json.dumps(error)), None
    text = body if isinstance(body, str) and body else f"The server answered HTTP {status}."
    return text, None
