"""Start real Whisk deployments as a user would, for end-to-end and integration tests.

``standalone``: one ``whisk standalone`` process (SQLite, in-process bus).
``distributed``: ``whisk-controller`` and N ``whisk-invoker`` processes joined by a real Kafka
broker, with a fresh PostgreSQL database. Each stack gets its own topic prefix and database, so
stacks never see each other's work.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Stack:
    kind: str
    apihost: str
    db_url: str
    env: dict[str, str]
    home: Path
    apihosts: list[str] = field(default_factory=list)  # every controller (distributed)
    health: dict[str, str] = field(default_factory=dict)  # invoker -> its /ping and /metrics
    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    logs: dict[str, Path] = field(default_factory=dict)
    commands: dict[str, tuple[list[str], dict[str, str]]] = field(default_factory=dict)

    def admin(self, *args: str) -> str:
        """Run ``whisk admin ...`` against this stack's database; returns stdout."""
        done = subprocess.run(
            [PY, "-m", "cli.main", "admin", *args],
            cwd=ROOT,
            env={**self.env, "WHISK_DB_URL": self.db_url},
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        if done.returncode != 0:
            raise AssertionError(f"whisk admin {' '.join(args)} failed:\n{done.stderr}")
        return done.stdout

    def new_namespace(self, **limits: int) -> str:
        """A fresh namespace (with limit overrides); returns its ``uuid:key``."""
        name = f"ns{uuid.uuid4().hex[:10]}"
        key = self.admin("user", "create", name).strip().splitlines()[-1]
        if limits:
            self.admin(
                "limits", "set", name, *[a for k, v in limits.items() for a in (f"--{k}", str(v))]
            )
        return key

    def log_text(self, name: str) -> str:
        return self.logs[name].read_text(errors="replace")

    def terminate(self, name: str) -> int:
        """SIGTERM, as an operator's restart does; returns the exit code."""
        proc = self.procs[name]
        proc.terminate()
        return proc.wait(timeout=60)

    def restart(self, name: str, ready_url: str) -> None:
        cmd, env = self.commands[name]
        _spawn(self, name, cmd, env)
        _wait_ready(self, name, lambda: _get(ready_url) == b"pong")

    def kill(self, name: str) -> None:
        proc = self.procs[name]
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)

    def stop(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.terminate()
        for proc in self.procs.values():
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
        self.remove_containers()

    def remove_containers(self) -> None:
        """Containers a killed invoker of this stack left behind (a live one removes its own)."""
        prefix = self.env.get("WHISK_KAFKA_TOPIC_PREFIX")
        if not prefix or shutil.which("docker") is None:
            return
        for name in self.procs:
            if name.startswith("invoker"):
                label = f"whisk.invoker={prefix}-{name}"
                ids = subprocess.run(
                    ["docker", "ps", "-aq", "--filter", f"label={label}"],
                    capture_output=True,
                    text=True,
                    check=False,
                ).stdout.split()
                if ids:
                    subprocess.run(["docker", "rm", "-f", *ids], capture_output=True, check=False)


def _spawn(
    stack: Stack, name: str, cmd: list[str], env: dict[str, str], log_path: Path | None = None
) -> None:
    log_path = log_path or stack.logs.get(name) or stack.home / f"{name}.log"
    stack.commands[name] = (cmd, env)
    with open(log_path, "ab") as log_file:
        stack.procs[name] = subprocess.Popen(
            cmd, cwd=ROOT, env=env, stdout=log_file, stderr=subprocess.STDOUT
        )
    stack.logs[name] = log_path


def _wait_ready(stack: Stack, name: str, ready: callable, timeout: float = 90) -> None:  # type: ignore[valid-type]
    deadline = time.monotonic() + timeout
    proc = stack.procs[name]
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            break
        try:
            if ready():
                return
        except OSError:
            pass
        time.sleep(0.2)
    stack.stop()
    pytest.fail(f"{name} did not become ready:\n{stack.log_text(name)[-4000:]}", pytrace=False)


def _get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=2) as r:
        return bytes(r.read())


def base_env(home: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("WHISK_") or k.startswith("WHISK_TEST")
    }
    env.update({"HOME": str(home), "WHISK_LOG_FORMAT": "json"})
    if "WHISK_CACHE_DIR" in os.environ:
        env["WHISK_CACHE_DIR"] = os.environ["WHISK_CACHE_DIR"]
    env.pop("WSK_CONFIG_FILE", None)
    return env


def start_standalone(home: Path, extra_env: dict[str, str] | None = None) -> Stack:
    port = free_port()
    state = home / "state"
    env = {**base_env(home), **(extra_env or {})}
    stack = Stack(
        "standalone",
        f"http://127.0.0.1:{port}",
        f"sqlite+aiosqlite:///{state / 'whisk.db'}",
        env,
        home,
    )
    _spawn(
        stack,
        "standalone",
        [PY, "-m", "cli.main", "standalone", "--port", str(port), "--state-dir", str(state)],
        env,
    )
    _wait_ready(
        stack,
        "standalone",
        lambda: _get(f"{stack.apihost}/ping") == b"pong" and (state / ".wskprops").exists(),
    )
    return stack


async def _create_database(pg_url: str, name: str) -> str:
    import asyncpg

    plain = pg_url.replace("postgresql+asyncpg://", "postgresql://")
    conn = await asyncpg.connect(plain)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return pg_url.rsplit("/", 1)[0] + "/" + name


def start_distributed(
    home: Path,
    pg_url: str,
    kafka: str,
    invokers: int = 2,
    controllers: int = 1,
    extra_env: dict[str, str] | None = None,
    health_ports: bool = False,
    invoker_env: dict[int, dict[str, str]] | None = None,
    log_dirs: dict[str, Path] | None = None,
) -> Stack:
    """``health_ports``: each invoker serves /ping and /metrics on a port of its own, listed in
    ``stack.health``; ``invoker_env``: more variables for invoker N; ``log_dirs``: where a
    process (by name, e.g. ``invoker0``) writes its log, instead of ``home`` (the fault suite
    fills that disk)."""
    db_url = asyncio.run(_create_database(pg_url, f"whisk_{uuid.uuid4().hex[:10]}"))
    port = free_port()
    env = {
        **base_env(home),
        "WHISK_DB_URL": db_url,
        "WHISK_BUS_URL": f"kafka://{kafka}",
        "WHISK_KAFKA_TOPIC_PREFIX": f"t{uuid.uuid4().hex[:8]}_",
        **(extra_env or {}),
    }
    stack = Stack("distributed", f"http://127.0.0.1:{port}", db_url, env, home)
    for c in range(controllers):
        c_port = port if c == 0 else free_port()
        c_env = {**env, "WHISK_CONTROLLER_ID": str(c), "WHISK_CONTROLLERS": str(controllers)}
        _spawn(stack, f"controller{c}", [PY, "-m", "controller.main", "--port", str(c_port)], c_env)
        host = f"http://127.0.0.1:{c_port}"
        stack.apihosts.append(host)
        _wait_ready(stack, f"controller{c}", lambda h=host: _get(f"{h}/ping") == b"pong")
    for n in range(invokers):
        inv_env = {
            **env,
            "WHISK_INVOKER_ID": str(n),
            "WHISK_INVOKER_USER_MEMORY_MB": "1024",
            "WHISK_API_HOST": stack.apihost,
            **(invoker_env or {}).get(n, {}),
        }
        if health_ports:
            inv_port = free_port()
            inv_env["WHISK_INVOKER_HEALTH_PORT"] = str(inv_port)
            stack.health[f"invoker{n}"] = f"http://127.0.0.1:{inv_port}"
        name = f"invoker{n}"
        log_dir = (log_dirs or {}).get(name)
        _spawn(
            stack,
            name,
            [PY, "-m", "invoker.main"],
            inv_env,
            log_dir / f"{name}.log" if log_dir is not None else None,
        )
    for host in stack.apihosts:

        def all_up(h: str = host) -> bool:
            health = json.loads(_get(f"{h}/invokers"))
            return sum(1 for v in health.values() if v == "up") == invokers

        _wait_ready(stack, "controller0", all_up)
    return stack
