"""Whose fault a container that did not start is: OpenWhisk's rules for an action's own image.

The pure rules (``images``), the pool's translation into the activation's response, the ack the
invoker sends for it (never a system error, so never the invoker's health), and the Docker
factory's pulls against the engine's in-memory twin.
"""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path
from typing import Any

import pytest

from controller.loadbalancer.acks import read_ack, record_is_system_error
from invoker.containers.docker import DockerFactory
from invoker.containers.docker_config import DockerSettings
from invoker.containers.images import (
    COMMAND_NOT_FOUND,
    IMAGE_PULL_ERROR,
    RESOURCE_PROVISION_ERROR,
    ImageState,
    StartupError,
    must_pull,
    startup_failure,
)
from invoker.containers.memory_engine import MemoryEngine
from invoker.containers.ports import ContainerSpec, Transport
from invoker.pool.calls import startup_response
from whisk.entities.activation import Activation, ActivationId, StatusCode
from whisk.messages import CombinedCompletionAndResult, InvokerInstanceId, TransactionId

MISSING = "openwhisk/example"
RUNTIME = "whisk/action-python-v3.11:latest"
NOT_FOUND_TEXT = (
    "docker start 0123456789ab: 400 OCI runtime create failed: container_linux.go:380: starting "
    'container process caused: exec: "/action/run": stat /action/run: no such file or directory'
)


# -- the rules ---------------------------------------------------------------------------------


def test_only_a_missing_action_image_is_pulled() -> None:
    assert must_pull(action_image=True, present=False)
    assert not must_pull(action_image=True, present=True)  # present: runs without a registry
    assert not must_pull(action_image=False, present=False)  # runtime images are built here


def test_image_pull_error_text_is_openwhisks() -> None:
    assert IMAGE_PULL_ERROR.format(MISSING) == "Failed to pull container image 'openwhisk/example'."
    assert RESOURCE_PROVISION_ERROR == "Failed to provision resources to run the action."


def test_an_action_image_that_could_not_be_pulled_is_a_developer_error() -> None:
    failure = startup_failure(MISSING, True, ImageState.PULL_FAILED, "pull access denied")

    assert failure.developer
    assert failure.message == "Failed to pull container image 'openwhisk/example'."


def test_an_action_image_the_engine_does_not_have_is_a_developer_error() -> None:
    failure = startup_failure(MISSING, True, ImageState.PRESENT, "No such image", missing=True)

    assert failure.developer
    assert failure.message == IMAGE_PULL_ERROR.format(MISSING)


def test_an_action_image_without_its_command_is_a_developer_error() -> None:
    failure = startup_failure("me/broken:1", True, ImageState.PRESENT, NOT_FOUND_TEXT)

    assert failure.developer
    assert failure.message == COMMAND_NOT_FOUND.format("me/broken:1")
    assert failure.message == "executable file not found in image me/broken:1"


def test_other_failures_of_a_present_action_image_are_the_invokers() -> None:
    failure = startup_failure(MISSING, True, ImageState.PULLED, "500 cannot allocate memory")

    assert not failure.developer
    assert failure.message == RESOURCE_PROVISION_ERROR


@pytest.mark.parametrize("state", list(ImageState))
def test_any_failure_of_a_runtime_image_is_the_invokers(state: ImageState) -> None:
    for text, missing in ((NOT_FOUND_TEXT, False), ("No such image", True), ("boom", False)):
        failure = startup_failure(RUNTIME, False, state, text, missing)
        assert not failure.developer
        assert failure.message == RESOURCE_PROVISION_ERROR


# -- into the activation, and its ack ----------------------------------------------------------


def test_startup_response_keeps_developer_errors_apart_from_the_invokers() -> None:
    developer = startup_response(StartupError(IMAGE_PULL_ERROR.format(MISSING), developer=True))
    invoker = startup_response(StartupError(RESOURCE_PROVISION_ERROR, developer=False))
    unexpected = startup_response(OSError("the disk is full"))

    assert developer.status_code is StatusCode.DEVELOPER_ERROR
    assert developer.result == {"error": "Failed to pull container image 'openwhisk/example'."}
    assert invoker.status_code is StatusCode.WHISK_ERROR
    assert unexpected.status_code is StatusCode.WHISK_ERROR
    assert unexpected.result == {"error": RESOURCE_PROVISION_ERROR}
    full = startup_response(OSError(28, "No space left on device"))  # names the host's fault
    assert full.status_code is StatusCode.WHISK_ERROR
    assert full.result == {
        "error": "Failed to provision resources to run the action: No space left on device."
    }


def _activation(response: Any) -> Activation:
    return Activation(
        namespace="guest",
        name="example",
        version="0.0.1",
        subject="guest",
        activation_id=ActivationId.new(),
        start=1000,
        end=1001,
        response=response,
    )


def test_the_ack_of_a_pull_failure_is_not_a_system_error() -> None:
    # as the invoker service builds it (invoker/service.py, _complete)
    activation = _activation(startup_response(StartupError(IMAGE_PULL_ERROR, developer=True)))
    ack = CombinedCompletionAndResult(
        transid=TransactionId("tid", 1_700_000_000_000),
        response=activation.to_stored_doc(),
        invoker=InvokerInstanceId(0, 1024),
        is_system_error=activation.status_code is StatusCode.WHISK_ERROR,
    )

    decoded = read_ack(CombinedCompletionAndResult.from_bytes(ack.to_bytes()))

    assert not decoded.is_system_error
    assert not record_is_system_error(decoded.record)
    assert decoded.record is not None
    assert decoded.record["response"]["statusCode"] == int(StatusCode.DEVELOPER_ERROR)


# -- the factory against the in-memory engine --------------------------------------------------


def _spec(image: str, kind: str = "blackbox") -> ContainerSpec:
    transport = Transport.TCP if kind == "blackbox" else Transport.UNIX
    return ContainerSpec(
        name=f"wsk_{uuid.uuid4().hex[:8]}",
        kind=kind,
        image=image,
        memory_mb=256,
        transport=transport,
    )


def entries(directory: Path) -> list[Path]:
    return list(directory.iterdir())


def _factory(engine: MemoryEngine, tmp_path: Path) -> DockerFactory:
    settings = DockerSettings(instance_label="unit", runtime_dir=str(tmp_path), pull_timeout_s=5)
    return DockerFactory(settings, engine=engine)


async def test_factory_reports_an_unpullable_action_image_as_the_developers(
    tmp_path: Path,
) -> None:
    engine = MemoryEngine()
    factory = _factory(engine, tmp_path)
    try:
        with pytest.raises(StartupError) as raised:
            await factory.create(_spec(MISSING))
    finally:
        await factory.close()

    assert raised.value.developer
    assert raised.value.message == "Failed to pull container image 'openwhisk/example'."
    assert ("pull", MISSING) in engine.calls
    assert not any(verb == "create" for verb, _ in engine.calls)
    assert entries(tmp_path) == []  # no socket directory left behind


async def test_factory_shares_one_pull_among_concurrent_cold_starts(tmp_path: Path) -> None:
    engine = MemoryEngine(pull_delay_s=0.05)
    factory = _factory(engine, tmp_path)
    try:
        outcomes = await asyncio.gather(
            *(factory.create(_spec(MISSING)) for _ in range(5)), return_exceptions=True
        )
    finally:
        await factory.close()

    assert all(isinstance(o, StartupError) and o.developer for o in outcomes)
    assert engine.calls.count(("pull", MISSING)) == 1


async def test_factory_runs_a_present_action_image_without_a_pull(tmp_path: Path) -> None:
    engine = MemoryEngine(images={"me/local:1": {"User": ""}})
    factory = _factory(engine, tmp_path)
    try:
        container = await factory.create(_spec("me/local:1"))
        await container.destroy()
    finally:
        await factory.close()

    assert not any(verb == "pull" for verb, _ in engine.calls)
    assert ("start", container.name) in engine.calls
    assert engine.containers == {}


async def test_a_container_whose_removal_is_refused_for_a_while_is_still_removed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a fork-bombed container whose PID 1 died first: the engine refuses, then accepts
    monkeypatch.setattr("invoker.containers.docker.REMOVE_RETRY_S", 0.001)
    engine = MemoryEngine(images={"me/local:1": {"User": ""}}, remove_refusals=3)
    factory = _factory(engine, tmp_path)
    try:
        container = await factory.create(_spec("me/local:1"))
        await container.destroy()
    finally:
        await factory.close()

    assert engine.calls.count(("remove", container.id)) == 4
    assert engine.containers == {}
    assert entries(tmp_path) == []


async def test_factory_pulls_a_missing_action_image_then_starts_it(tmp_path: Path) -> None:
    engine = MemoryEngine(registry={"me/remote:2": {"User": "app"}})
    factory = _factory(engine, tmp_path)
    try:
        container = await factory.create(_spec("me/remote:2"))
        user = engine.containers[container.id].config["User"]
        await container.destroy()
    finally:
        await factory.close()

    assert engine.calls[:3] == [
        ("inspect_image", "me/remote:2"),
        ("pull", "me/remote:2"),
        ("inspect_image", "me/remote:2"),
    ]
    assert user == "app"


async def test_factory_reports_a_missing_command_as_the_developers_and_cleans_up(
    tmp_path: Path,
) -> None:
    image = "me/broken:1"
    engine = MemoryEngine(images={image: {}}, start_errors={image: NOT_FOUND_TEXT})
    factory = _factory(engine, tmp_path)
    try:
        with pytest.raises(StartupError) as raised:
            await factory.create(_spec(image))
    finally:
        await factory.close()

    assert raised.value.developer
    assert raised.value.message == "executable file not found in image me/broken:1"
    assert engine.containers == {}  # the created container was removed
    assert entries(tmp_path) == []


async def test_factory_reports_a_missing_runtime_image_as_its_own_failure(
    tmp_path: Path,
) -> None:
    engine = MemoryEngine(registry={RUNTIME: {}})  # a registry has it, but runtimes never pull
    factory = _factory(engine, tmp_path)
    try:
        with pytest.raises(StartupError) as raised:
            await factory.create(_spec(RUNTIME, kind="python:3.11"))
    finally:
        await factory.close()

    assert not raised.value.developer
    assert raised.value.message == RESOURCE_PROVISION_ERROR
    assert not any(verb == "pull" for verb, _ in engine.calls)


async def test_factory_forgets_an_action_image_removed_from_the_host(tmp_path: Path) -> None:
    # given an image used once, then removed from the host (docker rmi)
    engine = MemoryEngine(images={"me/gone:1": {}})
    factory = _factory(engine, tmp_path)
    try:
        first = await factory.create(_spec("me/gone:1"))
        await first.destroy()
        del engine.images["me/gone:1"]
        with pytest.raises(StartupError) as raised:
            await factory.create(_spec("me/gone:1"))
        with pytest.raises(StartupError):
            await factory.create(_spec("me/gone:1"))  # looked up again, so pulled this time
    finally:
        await factory.close()

    assert raised.value.developer
    assert raised.value.message == IMAGE_PULL_ERROR.format("me/gone:1")
    assert engine.calls.count(("pull", "me/gone:1")) == 1
