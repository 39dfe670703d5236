"""CLI fixtures: one real ``whisk standalone`` process per session (as tests/e2e starts it) and
a runner that drives the ``whisk`` click group against it with a temporary HOME and props file.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from cli.main import main
from whisk.entities.activation import Activation, ActivationId, ActivationResponse
from whisk.store import open_store
from whisk.store.ports import ActivationRecord

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Standalone:
    apihost: str  # as standalone reports it (http://localhost:PORT)
    port: int
    auth: str
    db_url: str
    home: Path


@pytest.fixture(scope="session")
def standalone(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Standalone]:
    home = tmp_path_factory.mktemp("standalone-home")
    state = home / "state"
    port = free_port()
    db_url = f"sqlite+aiosqlite:///{state / 'whisk.db'}"
    env = {**os.environ, "HOME": str(home), "WHISK_DB_URL": db_url}
    env.pop("WSK_CONFIG_FILE", None)
    log_path = home / "standalone.log"
    with open(log_path, "wb") as log_file:
        proc = subprocess.Popen(
            [sys.executable, "-m", "cli.main", "standalone", "--port", str(port),
             "--state-dir", str(state)],
            cwd=ROOT, env=env, stdout=log_file, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        _wait_for_ping(proc, port, log_path)
        for _ in range(100):  # the key file is written before the API listens; be patient
            if (state / ".wskprops").exists():
                break
            time.sleep(0.1)
        props = dict(
            line.split("=", 1)
            for line in (state / ".wskprops").read_text().splitlines()
            if "=" in line
        )
        yield Standalone(props["APIHOST"], port, props["AUTH"], db_url, home)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


def _wait_for_ping(proc: subprocess.Popen[bytes], port: int, log_path: Path) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/ping", timeout=1) as r:
                if r.read() == b"pong":
                    return
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            pytest.fail(f"the server did not start:\n{log_path.read_text()}", pytrace=False)
        time.sleep(0.2)


@pytest.fixture(scope="session")
def controller_only(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Standalone]:
    """A controller with no invoker behind it (``whisk-controller`` on the in-process bus):
    every invocation is refused with OpenWhisk's 503, whatever standalone can do."""
    home = tmp_path_factory.mktemp("controller-home")
    port = free_port()
    db_url = f"sqlite+aiosqlite:///{home / 'whisk.db'}"
    env = {**os.environ, "HOME": str(home), "WHISK_DB_URL": db_url}
    created = subprocess.run(
        [sys.executable, "-m", "cli.main", "admin", "user", "create", "guest"],
        cwd=ROOT, env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    auth = created.stdout.strip().splitlines()[-1]
    log_path = home / "controller.log"
    with open(log_path, "wb") as log_file:
        proc = subprocess.Popen(
            [sys.executable, "-m", "controller.main", "--port", str(port)],
            cwd=ROOT, env=env, stdout=log_file, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        _wait_for_ping(proc, port, log_path)
        yield Standalone(f"http://localhost:{port}", port, auth, db_url, home)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


@dataclass
class Wsk:
    """Runs ``whisk ARGS`` in-process with its own HOME and props file."""

    home: Path
    env: dict[str, str] = field(default_factory=dict)

    @property
    def props_file(self) -> Path:
        return self.home / ".wskprops"

    def __call__(self, *args: str, env: dict[str, str] | None = None) -> Result:
        runner = CliRunner()
        full_env = {"HOME": str(self.home), "WSK_CONFIG_FILE": str(self.props_file),
                    "WHISK_AUTH": "", "WHISK_APIHOST": "", "WHISK_NAMESPACE": "",
                    "WSK_CLI_DEBUG": "", **self.env, **(env or {})}  # fmt: skip
        return runner.invoke(main, list(args), env=full_env, catch_exceptions=False)


@pytest.fixture
def bare_wsk(tmp_path: Path) -> Wsk:
    """A CLI with no properties set."""
    home = tmp_path / "home"
    home.mkdir()
    return Wsk(home)


@pytest.fixture
def wsk(standalone: Standalone, bare_wsk: Wsk) -> Wsk:
    """A CLI configured (through ``whisk property set``) for the running standalone."""
    result = bare_wsk("property", "set", "--apihost", standalone.apihost, "--auth",
                      standalone.auth)  # fmt: skip
    assert result.exit_code == 0, result.output
    return bare_wsk


@pytest.fixture
def wsk_no_invoker(controller_only: Standalone, tmp_path: Path) -> Wsk:
    """A CLI configured for the controller that has no invoker."""
    home = tmp_path / "home-no-invoker"
    home.mkdir()
    cli = Wsk(home)
    result = cli("property", "set", "--apihost", controller_only.apihost, "--auth",
                 controller_only.auth)  # fmt: skip
    assert result.exit_code == 0, result.output
    return cli


@pytest.fixture
def unique() -> str:
    """A name prefix no other test uses (the standalone is shared by the session)."""
    return "t" + uuid.uuid4().hex[:8]


def ok_lines(result: Result) -> list[str]:
    return [line for line in result.stdout.splitlines() if line.startswith("ok:")]


def seed_activation(
    db_url: str,
    name: str,
    *,
    start: int,
    response: ActivationResponse | None,
    duration: int = 0,
    logs: list[str] | None = None,
    annotations: list[dict[str, Any]] | None = None,
    namespace: str = "guest",
) -> str:
    """Write one activation record into the standalone's database (as the invoker would)."""
    aid = ActivationId.new()
    activation = Activation.pending(
        namespace=namespace, name=name, version="0.0.1", subject=namespace,
        activation_id=aid, start=start, annotations=annotations or [],
    )  # fmt: skip
    if response is not None:
        activation = activation.completed(response, end=start + duration, logs=logs or [])
    record = ActivationRecord(
        activation_id=str(aid), namespace=namespace, name=name, package=None, start=start,
        end=activation.end,
        status_code=None if response is None else int(response.status_code),
        doc=activation.to_stored_doc(),
    )  # fmt: skip

    async def write() -> None:
        store = (await open_store(db_url, migrate=False)).store
        try:
            await store.put_activation(record)
        finally:
            await store.close()

    asyncio.run(write())
    return str(aid)
