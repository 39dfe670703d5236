"""Shared fixtures for integration tests against real services.

Docker: ``docker_engine`` (session) makes sure an engine answers and the runtime images exist,
using the project's own scripts (``scripts/docker-engine.sh``, ``scripts/build-images.sh``).
Without an engine a test is skipped on a laptop and FAILS when ``CI=true``.
``docker_factory`` gives each test a ``DockerFactory`` with its own invoker label and removes
whatever the test left behind.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from invoker.containers.docker import DockerFactory
from invoker.containers.docker_config import DockerSettings

ROOT = Path(__file__).resolve().parents[2]
PYTHON_IMAGE = "whisk/action-python-v3.11:latest"
NODEJS_IMAGE = "whisk/action-nodejs-v20:latest"
SKELETON_IMAGE = "openwhisk/dockerskeleton:latest"  # native actions (--native)
RUNTIME_IMAGES = (PYTHON_IMAGE, NODEJS_IMAGE, SKELETON_IMAGE)


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


def unavailable(reason: str) -> None:
    """Skip on a laptop, fail in CI."""
    if in_ci():
        pytest.fail(f"{reason} (CI=true: integration services are required)", pytrace=False)
    pytest.skip(reason)


def _docker(*args: str, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["docker", *args], capture_output=True, text=True, timeout=timeout, check=False
    )


def _engine_up() -> bool:
    if shutil.which("docker") is None:
        return False
    try:
        return _docker("info").returncode == 0
    except subprocess.TimeoutExpired:
        return False


def _run_script(name: str, timeout: float) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(ROOT / "scripts" / name)],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@pytest.fixture(scope="session")
def docker_engine() -> None:
    """A Docker engine that answers, with the Whisk runtime images built."""
    if not _engine_up():
        if not in_ci():
            pytest.skip("no Docker engine (start one with scripts/docker-engine.sh)")
        started = _run_script("docker-engine.sh", timeout=300)
        if started.returncode != 0 or not _engine_up():
            pytest.fail(
                "scripts/docker-engine.sh could not start Docker:\n"
                + started.stdout[-2000:]
                + started.stderr[-2000:],
                pytrace=False,
            )
    missing = [image for image in RUNTIME_IMAGES if _docker("image", "inspect", image).returncode]
    if missing:
        built = _run_script("build-images.sh", timeout=1800)
        still = [image for image in RUNTIME_IMAGES if _docker("image", "inspect", image).returncode]
        if still:
            unavailable(
                f"runtime images {still} missing and scripts/build-images.sh failed:\n"
                + built.stdout[-2000:]
                + built.stderr[-2000:]
            )


@pytest.fixture
def docker_settings(
    docker_engine: None, tmp_path_factory: pytest.TempPathFactory
) -> DockerSettings:
    """Settings with a label of the test's own and a fresh socket directory."""
    return DockerSettings(
        instance_label=f"test-{uuid.uuid4().hex[:10]}",
        runtime_dir=str(tmp_path_factory.mktemp("sockets", numbered=True)),
    )


@pytest.fixture
async def docker_factory(docker_settings: DockerSettings) -> AsyncIterator[DockerFactory]:
    factory = DockerFactory(docker_settings)
    try:
        yield factory
    finally:
        await factory.remove_orphans(docker_settings.instance_label)
        await factory.close()
