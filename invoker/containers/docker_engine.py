"""The engine port on the Docker SDK (the only module importing ``docker``).

The client comes from ``docker.from_env()``, so ``DOCKER_HOST``, ``DOCKER_TLS_VERIFY`` and
``DOCKER_CERT_PATH`` work as the docker CLI's; without ``DOCKER_HOST`` the current docker context
(``DOCKER_CONTEXT`` or ``currentContext`` in ``~/.docker/config.json``) is used when it is not
the default one. ``host`` overrides all of them.

The SDK blocks, so every call runs off the event loop in a small thread pool this adapter owns
(``workers`` threads; pulls have their own so a slow registry never holds up a cold start of a
present image). The client is made on the first call, in that pool (``version="auto"`` asks the
engine once). Two streams outlive a call, attach and events: the SDK opens them, and
``docker_streams`` reads them (the attach socket on the event loop, the events on a thread).

Errors become Whisk's (``engine``): no answer -> ``Unavailable``, 404 -> ``NotFound``, else
``InternalError`` with the engine's explanation.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import docker
import docker.errors
import requests.exceptions
import structlog
from docker.context import ContextAPI
from docker.transport import UnixHTTPAdapter
from docker.utils import parse_repository_tag

from invoker.containers.docker_streams import AttachedOutput, Closable, Events, close_quietly
from whisk.errors import InternalError, NotFound, Unavailable, WhiskError

log = structlog.get_logger(__name__)

T = TypeVar("T")
ATTACH = {"stdout": 1, "stderr": 1, "stream": 1}
DEFAULT_WORKERS = 4


class DockerEngine:
    def __init__(
        self,
        host: str | None = None,
        *,
        api_version: str = "auto",
        workers: int = DEFAULT_WORKERS,
        timeout_s: float = 60.0,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        if workers < 1:
            raise ValueError("the Docker engine adapter needs at least one worker thread")
        self._host = host
        self._version = api_version
        self._timeout_s = timeout_s
        self._environ = dict(os.environ if environ is None else environ)
        self._workers = workers
        self._calls = ThreadPoolExecutor(workers, thread_name_prefix="docker-engine")
        self._pulls = ThreadPoolExecutor(2, thread_name_prefix="docker-pull")
        self._client: docker.DockerClient | None = None
        self._lock = threading.Lock()
        self._streams: set[Closable] = set()

    @property
    def where(self) -> str:
        """The engine's address as configured (for messages)."""
        return self._host or self._environ.get("DOCKER_HOST") or "the default Docker host"

    # -- plumbing -------------------------------------------------------------------------------
    def _api(self) -> docker.APIClient:
        """The SDK's low-level client, made once (in a worker thread: it may ask the engine)."""
        with self._lock:
            if self._client is None:
                self._client = _make_client(
                    self._host, self._environ, self._version, self._timeout_s, self._workers + 2
                )
            return self._client.api

    def _translating(self, call: Callable[[docker.APIClient], T], what: str) -> Callable[[], T]:
        def work() -> T:
            with _translated(what, self.where):
                return call(self._api())

        return work

    async def _run(
        self,
        call: Callable[[docker.APIClient], T],
        what: str,
        pool: ThreadPoolExecutor | None = None,
    ) -> T:
        work = self._translating(call, what)
        return await asyncio.get_running_loop().run_in_executor(pool or self._calls, work)

    # -- engine ---------------------------------------------------------------------------------
    async def ping(self) -> bool:
        try:
            return bool(await self._run(lambda api: api.ping(), "ping"))
        except WhiskError:
            return False

    async def version(self) -> dict[str, Any]:
        result: dict[str, Any] = await self._run(lambda api: api.version(), "version")
        return result

    async def inspect_image(self, image: str) -> dict[str, Any]:
        result: dict[str, Any] = await self._run(
            lambda api: api.inspect_image(image), f"inspect image {image}"
        )
        return result

    async def pull(self, image: str, timeout_s: float) -> None:
        repository, tag = parse_repository_tag(image)

        def pull(api: docker.APIClient) -> None:
            for progress in api.pull(repository, tag=tag or "latest", stream=True, decode=True):
                if isinstance(progress, dict) and progress.get("error"):
                    raise InternalError(f"docker pull {image}: {progress['error']}")

        try:
            await asyncio.wait_for(self._run(pull, f"pull {image}", self._pulls), timeout_s)
        except TimeoutError as exc:
            raise InternalError(f"docker pull {image}: no answer within {timeout_s:g} s") from exc

    # -- containers -----------------------------------------------------------------------------
    async def run(self, name: str, config: dict[str, Any]) -> tuple[str, AttachedOutput]:
        """create, attach, start in one job of the pool (one hop, not three); see the port."""

        def run(api: docker.APIClient) -> tuple[str, Any]:
            created = api.create_container_from_config(config, name=name)
            for warning in created.get("Warnings") or ():
                log.warning("docker create warning", container=name, warning=warning)
            container_id = str(created["Id"])
            raw = None
            try:
                raw = api.attach_socket(container_id, params=ATTACH)
                api.start(container_id)
            except Exception as exc:
                if raw is not None:
                    close_quietly(raw)
                _remove_quietly(api, container_id)
                if isinstance(exc, docker.errors.NotFound):  # not a missing image: say so
                    raise InternalError(f"docker start {name}: {exc.explanation or exc}") from exc
                raise
            return container_id, raw

        job = asyncio.get_running_loop().run_in_executor(
            self._calls, self._translating(run, f"run {name}")
        )
        try:
            container_id, raw = await asyncio.shield(job)
        except asyncio.CancelledError:
            job.add_done_callback(self._discard)  # it may still make a container: remove it
            raise
        return container_id, await AttachedOutput.open(raw, self._streams)

    def _discard(self, job: asyncio.Future[tuple[str, Any]]) -> None:
        if job.cancelled() or job.exception() is not None:
            return
        container_id, raw = job.result()
        close_quietly(raw)
        with contextlib.suppress(RuntimeError):  # shut down already
            self._calls.submit(lambda: _remove_quietly(self._api(), container_id))

    async def inspect(self, container_id: str) -> dict[str, Any]:
        result: dict[str, Any] = await self._run(
            lambda api: api.inspect_container(container_id), f"inspect {container_id[:12]}"
        )
        return result

    async def pause(self, container_id: str) -> None:
        await self._run(lambda api: api.pause(container_id), f"pause {container_id[:12]}")

    async def unpause(self, container_id: str) -> None:
        await self._run(lambda api: api.unpause(container_id), f"unpause {container_id[:12]}")

    async def wait(self, container_id: str, timeout_s: float) -> None:
        await self._run(
            lambda api: api.wait(container_id, timeout=timeout_s, condition="not-running"),
            f"wait {container_id[:12]}",
        )

    async def remove(self, container_id: str) -> None:
        await self._run(
            lambda api: api.remove_container(container_id, v=True, force=True),
            f"remove {container_id[:12]}",
        )

    async def list_by_label(self, label: str, value: str) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = await self._run(
            lambda api: api.containers(all=True, filters={"label": f"{label}={value}"}),
            f"list {label}={value}",
        )
        return result

    async def events(self, filters: dict[str, list[str]]) -> Events:
        source = await self._run(lambda api: api.events(filters=filters, decode=True), "events")
        return Events(source, self._streams)

    async def close(self) -> None:
        for stream in list(self._streams):
            stream.close()
        self._calls.shutdown(wait=False, cancel_futures=True)
        self._pulls.shutdown(wait=False, cancel_futures=True)
        client, self._client = self._client, None
        if client is not None:
            with contextlib.suppress(Exception):
                client.close()


def _make_client(
    host: str | None, environ: dict[str, str], version: str, timeout_s: float, pool_size: int
) -> docker.DockerClient:
    if host is None and not environ.get("DOCKER_HOST"):
        context = _current_context(environ)
        if context is not None:
            return docker.DockerClient(
                base_url=context.Host,
                version=version,
                timeout=timeout_s,
                tls=context.TLSConfig or False,
                max_pool_size=pool_size,
            )
    if host is not None:
        environ = {**environ, "DOCKER_HOST": host}
    client = docker.from_env(
        version=version, timeout=timeout_s, max_pool_size=pool_size, environment=environ
    )
    _one_pool_per_socket(client.api)
    return client


class _SocketPoolAdapter(UnixHTTPAdapter):  # type: ignore[misc]
    def get_connection(self, url: str, proxies: Any = None) -> Any:
        return super().get_connection("http+docker://localhost", proxies)


def _one_pool_per_socket(api: docker.APIClient) -> None:
    """On a Unix socket, docker-py keeps one connection pool per request URL, so every call on a
    new container opens a new connection; one pool for the socket reuses them. Proxies mean
    nothing there either, so requests need not scan the environment for them on every call.
    (About a quarter of the SDK's CPU per call; left as is for any other transport.)"""
    adapter = getattr(api, "_custom_adapter", None)
    if adapter is None or type(adapter) is not UnixHTTPAdapter:
        return
    pooled = _SocketPoolAdapter(
        f"http+unix://{adapter.socket_path}", adapter.timeout, max_pool_size=adapter.max_pool_size
    )
    api.mount("http+docker://", pooled)
    api._custom_adapter = pooled
    api.trust_env = False
    adapter.close()


def _current_context(environ: Mapping[str, str]) -> Any:
    """The docker CLI's current context when it is not the default one (None otherwise)."""
    name = environ.get("DOCKER_CONTEXT")
    try:
        context = ContextAPI.get_context(name) if name else ContextAPI.get_current_context()
    except docker.errors.DockerException as exc:
        raise Unavailable(f"cannot read the docker context {name!r}: {exc}") from exc
    if context is None or context.name == "default" or not context.Host:
        return None
    return context


@contextlib.contextmanager
def _translated(what: str, where: str) -> Iterator[None]:
    try:
        yield
    except WhiskError:
        raise
    except docker.errors.NotFound as exc:
        raise NotFound(f"docker {what}: {exc.explanation or exc}") from exc
    except docker.errors.APIError as exc:
        raise InternalError(f"docker {what}: {exc.status_code} {exc.explanation or exc}") from exc
    except (requests.exceptions.ConnectionError, FileNotFoundError, ConnectionError) as exc:
        raise Unavailable(f"Docker engine unreachable at {where}") from exc
    except requests.exceptions.Timeout as exc:
        raise InternalError(f"docker {what}: timed out") from exc
    except docker.errors.DockerException as exc:  # e.g. no engine to ask for its API version
        raise Unavailable(f"Docker engine unreachable at {where}: {exc}") from exc
    except requests.exceptions.RequestException as exc:
        raise InternalError(f"docker {what} failed: {exc!r}") from exc


def _remove_quietly(api: docker.APIClient, container_id: str) -> None:
    with contextlib.suppress(Exception):
        api.remove_container(container_id, v=True, force=True)
