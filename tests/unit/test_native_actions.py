"""Native actions (``--native``): which blackbox image is the skeleton, how the invoker starts
it, and how the proxy splits an executable's output (pure)."""

from __future__ import annotations

import pytest

from invoker.actionproxy.native_executor import split_result
from invoker.activations import exec_spec
from invoker.containers.docker_config import DockerSettings, create_body
from invoker.containers.ports import ContainerSpec, Transport
from invoker.containers.process import refusal, runtime_of
from whisk.entities.action import Action
from whisk.entities.common import EntityRules
from whisk.entities.names import FullyQualifiedName
from whisk.entities.runtimes import RuntimeManifest, image_reference

MANIFEST = RuntimeManifest.from_json(
    {
        "runtimes": {"python": [{"kind": "python:3.11", "default": True, "image": "img:1"}]},
        "blackboxes": [{"prefix": "openwhisk", "name": "dockerskeleton", "tag": "latest"}],
    }
)


def blackbox(image: str) -> Action:
    body = {"exec": {"kind": "blackbox", "image": image, "code": "#!/bin/sh\necho {}\n"}}
    return Action.from_put(FullyQualifiedName("ns", "act"), body, EntityRules(MANIFEST))


@pytest.mark.parametrize(
    ("image", "reference"),
    [
        ("openwhisk/dockerskeleton", ("openwhisk/dockerskeleton", "latest")),
        ("openwhisk/dockerskeleton:1.3", ("openwhisk/dockerskeleton", "1.3")),
        ("host:5000/skeleton", ("host:5000/skeleton", "latest")),
        ("host:5000/skeleton:v2", ("host:5000/skeleton", "v2")),
    ],
)
def test_image_reference_reads_a_missing_tag_as_latest(
    image: str, reference: tuple[str, str]
) -> None:
    assert image_reference(image) == reference


def test_the_manifests_blackbox_is_native_with_or_without_its_tag() -> None:
    assert MANIFEST.is_native("openwhisk/dockerskeleton")
    assert MANIFEST.is_native("openwhisk/dockerskeleton:latest")
    assert not MANIFEST.is_native("openwhisk/dockerskeleton:nightly")
    assert not MANIFEST.is_native("me/dockerskeleton")


def test_native_actions_run_on_the_unix_socket_and_other_images_on_tcp() -> None:
    native = exec_spec(blackbox("openwhisk/dockerskeleton"), MANIFEST)
    other = exec_spec(blackbox("me/box:1"), MANIFEST)

    assert (native.native, native.transport, native.kind) == (True, Transport.UNIX, "blackbox")
    assert (other.native, other.transport) == (False, Transport.TCP)


def spec(**overrides: object) -> ContainerSpec:
    values: dict[str, object] = {"name": "c", "kind": "python:3.11", "image": "i", "memory_mb": 256}
    values.update(overrides)
    return ContainerSpec(**values)  # type: ignore[arg-type]


def test_only_blackbox_containers_may_execute_from_tmp() -> None:
    settings = DockerSettings()
    runtime = create_body(spec(), settings, "1000:1000", "/s")
    native = create_body(spec(kind="blackbox", native=True), settings, "1000:1000", "/s")
    image = create_body(
        spec(kind="blackbox", transport=Transport.TCP), settings, "1000:1000", "/s"
    )

    assert runtime["HostConfig"]["Tmpfs"] == {"/tmp": "rw,size=64m,mode=1777"}
    assert native["HostConfig"]["Tmpfs"] == {"/tmp": "rw,exec,size=64m,mode=1777"}
    assert image["HostConfig"]["Tmpfs"] == {"/tmp": "rw,exec,size=64m,mode=1777"}
    assert native["HostConfig"]["NetworkMode"] == "none"  # our socket, no network by default
    assert native["Cmd"][:2] == ["--unix", "/run/whisk/proxy.sock"]


def test_the_skeleton_is_ours_and_never_pulled_an_actions_image_is_its_own() -> None:
    assert not spec(kind="blackbox", native=True).action_image
    assert spec(kind="blackbox").action_image


def test_the_process_sandbox_runs_native_actions_and_refuses_images() -> None:
    assert runtime_of("blackbox", native=True) == "native"
    assert runtime_of("nodejs:20") == "nodejs"
    assert refusal(spec(kind="blackbox", native=True)) is None
    refused = refusal(spec(kind="blackbox", image="me/box:1"))
    assert refused is not None and refused.developer


@pytest.mark.parametrize(
    ("stdout", "split"),
    [
        ('{"a": 1}', ("", '{"a": 1}')),
        ('{"a": 1}\n', ("", '{"a": 1}')),
        ('log\n{"a": 1}\n', ("log\n", '{"a": 1}')),
        ("one\ntwo\n  [1]  \n", ("one\ntwo\n", "[1]")),
        ("", ("", "")),
        ("log\n\n", ("log\n", "")),
    ],
)
def test_split_result_takes_the_last_line_of_stdout(stdout: str, split: tuple[str, str]) -> None:
    assert split_result(stdout) == split
