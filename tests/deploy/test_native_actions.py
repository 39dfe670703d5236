"""Native actions (``wsk action create NAME FILE --native``) on Docker, through the REST API as
the Go wsk sends them (kind ``blackbox``, image ``openwhisk/dockerskeleton``, the code, and
``binary`` for a zip) and through our CLI: invoked blocking, with their result, their logs and
the docker skeleton's error for a last line that is not a JSON object, and a timeout.

Standalone on Docker (``WHISK_INVOKER_FACTORY=docker``); the skeleton image is Whisk's own
(``scripts/build-images.sh native``), present locally, so no registry is asked.
"""

from __future__ import annotations

import base64
import io
import json
import zipfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.cli.conftest import Wsk
from tests.deploy.conftest import FAST_FAILURE_ENV, Caller
from tests.harness import Stack, start_standalone
from tests.integration.conftest import docker_engine  # noqa: F401 - a fixture
from tests.native_programs import static_program

pytestmark = pytest.mark.docker

SKELETON = "openwhisk/dockerskeleton"
SCRIPT = (
    "#!/bin/bash\n"
    'echo "hello from $__OW_ACTION_NAME"\n'
    "echo 'a warning' >&2\n"
    'echo "{\\"params\\": $1}"\n'
)
NOT_JSON = "#!/bin/sh\necho 'the result is not json'\n"


@pytest.fixture(scope="module")
def docker_stack(docker_engine: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:  # noqa: F811
    env = {**FAST_FAILURE_ENV, "WHISK_INVOKER_FACTORY": "docker"}
    running = start_standalone(tmp_path_factory.mktemp("native"), env)
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
async def caller(docker_stack: Stack) -> AsyncIterator[Caller]:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=120)) as session:
        yield Caller(session, docker_stack.apihost, docker_stack.new_namespace())


@pytest.fixture(scope="module")
def zipped_code(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A zip whose ``exec`` prints ``{"argc": 2, "args": <parameters>}``: a compiled program
    when gcc can build one here, else a script."""
    program = static_program(tmp_path_factory.mktemp("program"))
    script = b'#!/bin/sh\necho "{\\"args\\": $1}"\n'
    return zip_base64({"exec": program.read_bytes() if program else script})


def zip_base64(files: dict[str, bytes]) -> str:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in files.items():
            info = zipfile.ZipInfo(name)
            info.external_attr = 0o755 << 16
            archive.writestr(info, data)
    return base64.b64encode(buffer.getvalue()).decode()


async def put_native(caller: Caller, name: str, code: str, binary: bool, **limits: int) -> None:
    body: dict[str, Any] = {
        "exec": {"kind": "blackbox", "image": SKELETON, "code": code, "binary": binary}
    }
    if limits:
        body["limits"] = limits
    status, reply = await caller.call("PUT", f"actions/{name}", body, overwrite="true")
    assert status == 200, reply


def log_texts(record: dict[str, Any]) -> list[str]:
    """``stream: text`` of each stored log line (OpenWhisk's form, without the time)."""
    return [line.split(" ", 1)[1].strip() for line in record["logs"]]


async def test_native_script_and_zip_over_the_rest_api(caller: Caller, zipped_code: str) -> None:
    await put_native(caller, "script", SCRIPT, binary=False)
    await put_native(caller, "zipped", zipped_code, binary=True)
    await put_native(caller, "broken", NOT_JSON, binary=False)
    await put_native(caller, "slow", "#!/bin/sh\nsleep 30\n", binary=False, timeout=1000)

    script = await caller.call("POST", "actions/script", {"n": 1}, blocking="true")
    zipped = await caller.call("POST", "actions/zipped", {"z": True}, blocking="true")
    broken = await caller.call("POST", "actions/broken", {}, blocking="true")
    slow = await caller.call("POST", "actions/slow", {}, blocking="true")
    _, stored = await caller.call("GET", "actions/script")

    assert stored["exec"]["kind"] == "blackbox" and stored["exec"]["image"] == SKELETON
    status, record = script
    assert status == 200, record
    assert record["response"]["result"] == {"params": {"n": 1}}
    assert log_texts(record) == [
        f"stdout: hello from /{record['namespace']}/script",
        "stderr: a warning",
    ]
    status, record = zipped
    assert status == 200, record
    assert record["response"]["result"]["args"] == {"z": True}
    status, record = broken
    assert status == 502
    assert record["response"]["status"] == "action developer error"
    assert record["response"]["result"] == {
        "error": "The action did not return a dictionary or array."
    }
    assert "stdout: the result is not json" in log_texts(record)
    status, record = slow
    assert status == 502
    assert record["response"]["result"] == {
        "error": "The action exceeded its time limits of 1000 milliseconds."
    }


def test_native_action_through_the_cli(docker_stack: Stack, tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    wsk = Wsk(home)
    auth = docker_stack.new_namespace()
    assert wsk("property", "set", "--apihost", docker_stack.apihost, "--auth", auth).exit_code == 0
    script = tmp_path / "hello.sh"
    script.write_text(SCRIPT)

    created = wsk("action", "create", "hello", str(script), "--native")
    invoked = wsk("action", "invoke", "hello", "-r", "-p", "name", "native")

    assert created.exit_code == 0, created.output
    assert invoked.exit_code == 0, invoked.output
    assert json.loads(invoked.stdout) == {"params": {"name": "native"}}
