"""A small async client of the Docker Engine API over its Unix socket (the only Docker code).

aiohttp on ``/var/run/docker.sock`` with a pinned API version. Errors become Whisk errors:
the engine unreachable -> ``Unavailable``; 404 -> ``NotFound``; anything else -> ``InternalError``
(always ``from`` the original exception).

Output is read through ``attach`` (stdout + stderr, multiplexed frames), opened before ``start``
so nothing the container writes is missed; see ``logs.FrameDecoder``.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import quote

import aiohttp
import structlog

from whisk.errors import InternalError, NotFound, Unavailable, WhiskError

log = structlog.get_logger(__name__)

DEFAULT_SOCKET = "/var/run/docker.sock"
DEFAULT_API_VERSION = "v1.41"  # Docker 20.10; newer engines still accept it


class DockerApi:
    def __init__(
        self, socket_path: str = DEFAULT_SOCKET, api_version: str = DEFAULT_API_VERSION
    ) -> None:
        self._socket_path = socket_path
        self._prefix = f"http://docker/{api_version}"
        self._session: aiohttp.ClientSession | None = None

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None:
            # No connection limit: every live container holds one attach stream.
            connector = aiohttp.UnixConnector(path=self._socket_path, limit=0)
            self._session = aiohttp.ClientSession(
                connector=connector, timeout=aiohttp.ClientTimeout(total=None, sock_connect=10)
            )
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            session, self._session = self._session, None
            await session.close()

    async def _call(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, str] | None = None,
        body: Any = None,
        timeout_s: float | None = 60.0,
    ) -> Any:
        """One request; the decoded JSON body (None when empty)."""
        data = None if body is None else json.dumps(body).encode()
        headers = {"Content-Type": "application/json"} if data is not None else None
        try:
            async with self._http().request(
                method,
                self._prefix + path,
                params=params,
                data=data,
                headers=headers,
                timeout=aiohttp.ClientTimeout(total=timeout_s),
            ) as response:
                content = await response.read()
                if response.status >= 400:
                    _raise_for(response.status, method, path, content)
                if not content:
                    return None
                if response.content_type == "application/json":
                    return json.loads(content)
                return content.decode("utf-8", "replace")
        except WhiskError:
            raise
        except (aiohttp.ClientConnectorError, FileNotFoundError) as exc:
            raise Unavailable(f"Docker engine unreachable at {self._socket_path}") from exc
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise InternalError(f"docker {method} {path} failed: {exc!r}") from exc

    # -- engine -------------------------------------------------------------------------------
    async def ping(self) -> bool:
        return (await self._call("GET", "/_ping", timeout_s=10)) == "OK"

    async def version(self) -> dict[str, Any]:
        result: dict[str, Any] = await self._call("GET", "/version", timeout_s=10)
        return result

    async def inspect_image(self, image: str) -> dict[str, Any]:
        result: dict[str, Any] = await self._call("GET", f"/images/{quote(image, safe='')}/json")
        return result

    # -- containers -----------------------------------------------------------------------------
    async def create(self, name: str, config: dict[str, Any]) -> str:
        """Create a container; its id."""
        result = await self._call("POST", "/containers/create", params={"name": name}, body=config)
        for warning in result.get("Warnings") or ():
            log.warning("docker create warning", container=name, warning=warning)
        return str(result["Id"])

    async def start(self, container_id: str) -> None:
        await self._call("POST", f"/containers/{container_id}/start")

    async def inspect(self, container_id: str) -> dict[str, Any]:
        result: dict[str, Any] = await self._call("GET", f"/containers/{container_id}/json")
        return result

    async def pause(self, container_id: str) -> None:
        await self._call("POST", f"/containers/{container_id}/pause", timeout_s=10)

    async def unpause(self, container_id: str) -> None:
        await self._call("POST", f"/containers/{container_id}/unpause", timeout_s=10)

    async def wait(self, container_id: str, timeout_s: float) -> None:
        """Return once the container is not running (raises ``InternalError`` on timeout)."""
        await self._call(
            "POST",
            f"/containers/{container_id}/wait",
            params={"condition": "not-running"},
            timeout_s=timeout_s,
        )

    async def kill(self, container_id: str, signal: str = "KILL") -> None:
        await self._call("POST", f"/containers/{container_id}/kill", params={"signal": signal})

    async def remove(self, container_id: str) -> None:
        """Kill if running and remove, with its anonymous volumes."""
        await self._call("DELETE", f"/containers/{container_id}", params={"force": "1", "v": "1"})

    async def list_by_label(self, label: str, value: str) -> list[dict[str, Any]]:
        """All containers (running or not) carrying ``label=value``."""
        filters = json.dumps({"label": [f"{label}={value}"]})
        result: list[dict[str, Any]] = await self._call(
            "GET", "/containers/json", params={"all": "1", "filters": filters}
        )
        return result

    async def attach(self, container_id: str) -> RawStream:
        """Open the container's stdout + stderr stream; returns once the engine has accepted it
        (call before ``start`` to see all output)."""
        params = {"stream": "1", "stdout": "1", "stderr": "1"}
        return await self._stream("POST", f"/containers/{container_id}/attach", params)

    async def events(self, filters: dict[str, list[str]]) -> RawStream:
        """The engine's event stream (one JSON object per line) from now on."""
        return await self._stream("GET", "/events", {"filters": json.dumps(filters)})

    async def _stream(self, method: str, path: str, params: dict[str, str]) -> RawStream:
        try:
            response = await self._http().request(
                method,
                self._prefix + path,
                params=params,
                timeout=aiohttp.ClientTimeout(total=None, sock_connect=10),
            )
        except (aiohttp.ClientConnectorError, FileNotFoundError) as exc:
            raise Unavailable(f"Docker engine unreachable at {self._socket_path}") from exc
        except aiohttp.ClientError as exc:
            raise InternalError(f"docker {method} {path} failed: {exc!r}") from exc
        if response.status >= 400:
            content = await response.read()
            response.release()
            _raise_for(response.status, method, path, content)
        return RawStream(response)


class RawStream:
    """A streamed response (attach: multiplexed frames; events: JSON lines); iterate to its end."""

    def __init__(self, response: aiohttp.ClientResponse) -> None:
        self._response = response

    async def chunks(self) -> AsyncIterator[bytes]:
        try:
            async for chunk in self._response.content.iter_any():
                yield chunk
        except (aiohttp.ClientError, ConnectionError) as exc:
            log.debug("docker stream ended", error=repr(exc))

    def close(self) -> None:
        self._response.close()


def _raise_for(status: int, method: str, path: str, content: bytes) -> None:
    try:
        message = json.loads(content).get("message", "")
    except (ValueError, AttributeError):
        message = content.decode("utf-8", "replace")
    text = f"docker {method} {path}: {status} {message}".strip()
    if status == 404:
        raise NotFound(text)
    raise InternalError(text)
