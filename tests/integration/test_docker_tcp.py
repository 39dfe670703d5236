"""The Docker factory against a ``tcp://`` Docker host.

The test engine (scripts/docker-engine.sh) listens only on its Unix socket, and restarting it to
add a TCP listener would stop every container of whoever else uses it; so the fixture puts a
loopback TCP relay in front of the socket (127.0.0.1, an ephemeral port, its own thread) and
counts the connections it carried, so a factory that ignored ``host`` fails the test. The engine
is the same host's, so bind mounts and the Unix transport work as with the socket.
"""

from __future__ import annotations

import asyncio
import json
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from invoker.containers.docker import DockerFactory
from invoker.containers.docker_config import INVOKER_LABEL, DockerSettings
from invoker.containers.docker_engine import DockerEngine
from invoker.containers.ports import ContainerSpec
from tests.integration.conftest import PYTHON_IMAGE

pytestmark = pytest.mark.docker

ENGINE_SOCKET = "/var/run/docker.sock"
ECHO = "def main(args):\n    print('over tcp', args.get('n'))\n    return {'echo': args}\n"


@dataclass
class Relay:
    """127.0.0.1:<port> -> the engine's Unix socket, byte for byte."""

    port: int = 0
    connections: int = 0
    loop: asyncio.AbstractEventLoop | None = None
    stopped: asyncio.Event | None = None
    ready: threading.Event = field(default_factory=threading.Event)

    @property
    def url(self) -> str:
        return f"tcp://127.0.0.1:{self.port}"

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while chunk := await reader.read(65536):
                writer.write(chunk)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            writer.close()

    async def _serve_one(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter):
        self.connections += 1
        engine_r, engine_w = await asyncio.open_unix_connection(ENGINE_SOCKET)
        await asyncio.gather(self._pipe(client_r, engine_w), self._pipe(engine_r, client_w))

    async def _main(self) -> None:
        self.loop = asyncio.get_running_loop()
        self.stopped = asyncio.Event()
        server = await asyncio.start_server(self._serve_one, "127.0.0.1", 0)
        self.port = server.sockets[0].getsockname()[1]
        self.ready.set()
        async with server:
            await self.stopped.wait()

    def run(self) -> None:
        asyncio.run(self._main())

    def stop(self) -> None:
        if self.loop is not None and self.stopped is not None:
            self.loop.call_soon_threadsafe(self.stopped.set)


@pytest.fixture
def relay(docker_engine: None) -> Iterator[Relay]:
    relay = Relay()
    thread = threading.Thread(target=relay.run, daemon=True, name="docker-tcp-relay")
    thread.start()
    assert relay.ready.wait(10), "the relay did not listen"
    yield relay
    relay.stop()
    thread.join(10)


async def test_docker_factory_runs_actions_on_a_tcp_docker_host(
    relay: Relay, tmp_path_factory: pytest.TempPathFactory
) -> None:
    label = f"test-tcp-{uuid.uuid4().hex[:8]}"
    settings = DockerSettings(
        instance_label=label,
        host=relay.url,
        runtime_dir=str(tmp_path_factory.mktemp("tcp-sockets", numbered=True)),
    )
    factory = DockerFactory(settings)
    spec = ContainerSpec(
        name=f"wsktest_tcp_{uuid.uuid4().hex[:10]}",
        kind="python:3.11",
        image=PYTHON_IMAGE,
        memory_mb=256,
    )
    try:
        container = await factory.create(spec)
        init = await container.initialize({"name": "tcp", "main": "main", "code": ECHO}, 30)
        assert init.ok, init
        await container.pause()
        assert (await factory.engine.inspect(container.id))["State"]["Paused"] is True
        await container.resume()
        answer = await container.run({"value": {"n": 7}, "activation_id": "b" * 32}, 30)
        logs = await container.logs(10_000, wait_for_sentinel=True)
        listed = await factory.engine.list_by_label(INVOKER_LABEL, label)
        await container.destroy()
        left = await factory.engine.list_by_label(INVOKER_LABEL, label)
    finally:
        await factory.remove_orphans(label)
        await factory.close()

    assert answer.ok and json.loads(answer.body) == {"echo": {"n": 7}}
    assert [line.text for line in logs.lines] == ["over tcp 7"]
    assert [entry["Id"] for entry in listed] == [container.id]
    assert left == []
    assert relay.connections > 0  # the engine was reached through tcp://, not the socket


async def test_docker_engine_takes_docker_host_from_the_environment(relay: Relay) -> None:
    engine = DockerEngine(environ={"DOCKER_HOST": relay.url})
    try:
        answers = await engine.ping()
    finally:
        await engine.close()

    assert answers
    assert relay.connections > 0


async def test_docker_engine_unreachable_tcp_host_does_not_answer() -> None:
    engine = DockerEngine("tcp://127.0.0.1:9", timeout_s=5)  # discard port: nothing listens
    try:
        assert not await engine.ping()
    finally:
        await engine.close()
