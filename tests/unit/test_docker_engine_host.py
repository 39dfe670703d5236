"""Which Docker host the engine adapter talks to: ``host``, else ``DOCKER_HOST``, else the docker
CLI's current context, else the local socket (no engine is contacted: the API version is pinned)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from docker.context import ContextAPI

from invoker.containers.docker_engine import _make_client


@pytest.fixture
def docker_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A docker CLI config directory of the test's own, with a context named whisk-test."""
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path))
    (tmp_path / "config.json").write_text("{}")
    ContextAPI.create_context("whisk-test", host="tcp://127.0.0.1:9")
    return tmp_path


def base_url(host: str | None, environ: dict[str, str]) -> str:
    client = _make_client(host, environ, "1.41", 5, 2)
    try:
        return str(client.api.base_url)
    finally:
        client.close()


def test_the_default_is_the_local_socket(docker_config: Path) -> None:
    assert base_url(None, {}) == "http+docker://localhost"


def test_docker_host_is_followed(docker_config: Path) -> None:
    assert base_url(None, {"DOCKER_HOST": "tcp://127.0.0.1:7"}) == "http://127.0.0.1:7"


def test_the_named_or_current_docker_context_is_followed(docker_config: Path) -> None:
    named = base_url(None, {"DOCKER_CONTEXT": "whisk-test"})
    (docker_config / "config.json").write_text(json.dumps({"currentContext": "whisk-test"}))
    current = base_url(None, {})

    assert named.endswith("//127.0.0.1:9")
    assert current.endswith("//127.0.0.1:9")


def test_docker_host_wins_over_the_context_and_host_over_both(docker_config: Path) -> None:
    environ = {"DOCKER_CONTEXT": "whisk-test", "DOCKER_HOST": "tcp://127.0.0.1:7"}

    assert base_url(None, environ) == "http://127.0.0.1:7"
    assert base_url("tcp://127.0.0.1:5", environ) == "http://127.0.0.1:5"
