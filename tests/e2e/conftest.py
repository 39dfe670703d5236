"""End-to-end fixtures: a real ``whisk standalone`` process, driven as a client would."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def missing_service(reason: str) -> None:
    """Skip on a laptop; fail in CI, where every service must be there."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (CI=true: required)", pytrace=False)
    pytest.skip(reason)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Running:
    apihost: str
    auth: str
    state_dir: Path
    home: Path


@pytest.fixture(scope="module")
def standalone(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    home = tmp_path_factory.mktemp("home")
    state = home / "state"
    port = free_port()
    env = {**os.environ, "HOME": str(home), "WHISK_DB_URL": ""}
    env.pop("WSK_CONFIG_FILE", None)
    log_path = home / "standalone.log"
    with open(log_path, "wb") as log_file:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "cli.main",
                "standalone",
                "--port",
                str(port),
                "--state-dir",
                str(state),
            ],
            cwd=ROOT,
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/ping", timeout=1) as r:
                    if r.read() == b"pong" and (state / ".wskprops").exists():
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"standalone did not start:\n{log_path.read_text()}", pytrace=False)
            time.sleep(0.2)
        props = dict(
            line.split("=", 1)
            for line in (state / ".wskprops").read_text().splitlines()
            if "=" in line
        )
        yield Running(f"http://127.0.0.1:{port}", props["AUTH"], state, home)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture(scope="session")
def npm_clients() -> Path:
    """The directory holding node_modules/openwhisk (scripts/npm-clients.sh installs it)."""
    base = os.environ.get("WHISK_NPM_CLIENTS") or str(
        Path(os.environ.get("WHISK_CACHE_DIR") or Path.home() / ".cache" / "whisk") / "npm-clients"
    )
    path = Path(base)
    if not (path / "node_modules" / "openwhisk" / "package.json").exists():
        missing_service(
            f"the openwhisk npm client is not installed in {path} (scripts/npm-clients.sh)"
        )
    return path
