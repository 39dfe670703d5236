"""The native runtime (``--native``: OpenWhisk's docker skeleton protocol) against its targets:
the action proxy in native mode as a local process, and the ``openwhisk/dockerskeleton`` image.

The action is an executable; its parameters come as JSON in its first argument and on stdin;
the last line of its stdout is the result, every other line of output is logs.
"""

from __future__ import annotations

import base64
import io
import zipfile

import pytest

from tests.native_programs import static_program

from .conftest import SENTINEL, StartProxy

FAILED_INIT = "The action failed to generate or locate a binary. See logs for details."
NOT_DICT = "The action did not return a dictionary or array."

SHELL = (
    "#!/bin/bash\n"
    'echo "log line $1"\n'
    "echo 'to stderr' >&2\n"
    'echo "{\\"got\\": $1, \\"namespace\\": \\"$__OW_NAMESPACE\\"}"\n'
)
PYTHON = (
    "#!/usr/bin/env python3\n"
    "import json, sys\n"
    "args = json.loads(sys.argv[1])\n"
    "from_stdin = json.loads(sys.stdin.read())\n"
    "print('python log')\n"
    "print(json.dumps({'hello': args['name'], 'same': args == from_stdin}))\n"
)
CONTEXT = {"namespace": "guest", "activation_id": "0" * 32, "action_name": "/guest/native"}


@pytest.fixture(
    params=[
        pytest.param(("process", "native"), id="process-native"),
        pytest.param(("docker", "native"), id="docker-native", marks=pytest.mark.docker),
    ]
)
def target(request: pytest.FixtureRequest) -> tuple[str, str]:
    return request.param  # type: ignore[no-any-return]


def zip_of(files: dict[str, bytes], mode: int = 0) -> str:
    """A base64 zip; ``mode`` 0 stores no permissions (as zips made on some systems)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in files.items():
            info = zipfile.ZipInfo(name)
            info.external_attr = mode << 16
            archive.writestr(info, data)
    return base64.b64encode(buffer.getvalue()).decode()


async def test_native_shell_script_result_is_the_last_line_and_the_rest_logs(
    start_proxy: StartProxy,
) -> None:
    proxy = await start_proxy()
    assert await proxy.client.init(SHELL) == (200, {"ok": True})

    status, result = await proxy.client.run({"n": 1}, **CONTEXT)

    assert (status, result) == (200, {"got": {"n": 1}, "namespace": "guest"})
    stdout, stderr = await proxy.logs_after(1)
    assert stdout.splitlines()[-2:] == ['log line {"n": 1}', SENTINEL]
    assert stderr.splitlines()[-2:] == ["to stderr", SENTINEL]


async def test_native_python_script_gets_the_parameters_as_argument_and_stdin(
    start_proxy: StartProxy,
) -> None:
    proxy = await start_proxy()
    await proxy.client.init(PYTHON)

    first = await proxy.client.run({"name": "one"})
    second = await proxy.client.run({"name": "two"})

    assert first == (200, {"hello": "one", "same": True})
    assert second == (200, {"hello": "two", "same": True})
    stdout, _ = await proxy.logs_after(2)
    assert stdout.splitlines()[-4:] == ["python log", SENTINEL, "python log", SENTINEL]


async def test_native_zip_runs_its_exec_next_to_its_files(start_proxy: StartProxy) -> None:
    exec_ = b"#!/bin/sh\necho \"[\\\"$(cat data.txt)\\\", $1]\"\n"
    code = zip_of({"exec": exec_, "data.txt": b"from the zip"})  # no modes stored
    proxy = await start_proxy()
    assert await proxy.client.post(
        "/init", {"value": {"code": code, "binary": True, "main": "main"}}
    ) == (200, {"ok": True})

    assert await proxy.client.run({"k": "v"}) == (200, ["from the zip", {"k": "v"}])


@pytest.fixture(scope="module")
def program_zip(tmp_path_factory: pytest.TempPathFactory) -> str:
    built = static_program(tmp_path_factory.mktemp("program"))
    if built is None:
        pytest.skip("no C compiler can link a static program here")
    return zip_of({"exec": built.read_bytes()}, 0o755)


async def test_native_compiled_program_in_a_zip(start_proxy: StartProxy, program_zip: str) -> None:
    proxy = await start_proxy()
    await proxy.client.post("/init", {"value": {"code": program_zip, "binary": True}})

    assert await proxy.client.run({"x": 1}) == (200, {"argc": 2, "args": {"x": 1}})
    stdout, _ = await proxy.logs_after(1)
    assert stdout.splitlines()[-2:] == ["compiled log", SENTINEL]


async def test_native_last_line_not_an_object_is_the_skeletons_error(
    start_proxy: StartProxy,
) -> None:
    proxy = await start_proxy()
    await proxy.client.init("#!/bin/sh\necho first\necho 'not json'\nexit 3\n")

    assert await proxy.client.run({}) == (502, {"error": NOT_DICT})
    stdout, stderr = await proxy.logs_after(1)
    assert stdout.splitlines()[-3:] == ["first", "not json", SENTINEL]
    assert stderr.splitlines()[-2:] == ["The action exited with code 3.", SENTINEL]


async def test_native_exit_code_alone_decides_nothing(start_proxy: StartProxy) -> None:
    proxy = await start_proxy()
    await proxy.client.init('#!/bin/sh\necho \'{"partial": true}\'\nexit 1\n')

    assert await proxy.client.run({}) == (200, {"partial": True})


async def test_native_large_parameters_come_on_stdin_only(start_proxy: StartProxy) -> None:
    proxy = await start_proxy()
    await proxy.client.init(
        "#!/bin/sh\n"
        'size=$(wc -c)\necho "{\\"arguments\\": $#, \\"stdin\\": $size}"\n'
    )
    big = {"blob": "x" * 200_000}

    status, result = await proxy.client.run(big)

    assert (status, result) == (200, {"arguments": 0, "stdin": 200_000 + len('{"blob": ""}')})


async def test_native_without_shebang_or_exec_fails_as_the_skeleton(
    start_proxy: StartProxy,
) -> None:
    no_shebang = await start_proxy()
    await no_shebang.client.init('echo "{}"\n')
    assert await no_shebang.client.run({}) == (502, {"error": NOT_DICT})

    no_exec = await start_proxy()
    code = zip_of({"main.sh": b"#!/bin/sh\necho {}\n"}, 0o755)
    status, body = await no_exec.client.post("/init", {"value": {"code": code, "binary": True}})
    assert (status, body) == (502, {"error": FAILED_INIT})
    _, stderr = await no_exec.read_logs()
    assert "There is no executable file 'exec' in the action." in stderr

    not_a_zip = await start_proxy()
    status, body = await not_a_zip.client.post(
        "/init", {"value": {"code": "AAAA", "binary": True}}
    )
    assert (status, body) == (502, {"error": FAILED_INIT})


async def test_native_with_no_code_runs_the_images_own_executable(
    start_proxy: StartProxy, target: tuple[str, str]
) -> None:
    proxy = await start_proxy()
    status, body = await proxy.client.post("/init", {"value": {"main": "main"}})
    if target[0] == "process":  # no image: nothing to run
        assert (status, body) == (502, {"error": FAILED_INIT})
        return
    assert status == 200
    _, result = await proxy.client.run({})
    assert result == {"error": "This is a stub action. Replace it with custom logic."}
