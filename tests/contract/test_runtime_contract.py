"""The runtime protocol (/init, /run, log sentinel) against every target in conftest.TARGETS."""

from __future__ import annotations

import asyncio

import pytest

from .actions import ACTIONS, ESCAPING_ZIP, VIRTUALENV_ZIP, ZIPS, zip_base64
from .conftest import SENTINEL, StartProxy

CONTEXT = {
    "namespace": "guest",
    "action_name": "/guest/pkg/hello",
    "action_version": "0.0.1",
    "activation_id": "0123456789abcdef0123456789abcdef",
    "transaction_id": "tid-1",
    "deadline": "1700000060000",
    "api_key": "uuid:secret",
}


async def test_contract_success_returns_result_and_ends_logs(
    start_proxy: StartProxy, runtime: str
) -> None:
    proxy = await start_proxy()
    assert await proxy.client.init(ACTIONS["echo"][runtime]) == (200, {"ok": True})

    status, result = await proxy.client.run({"name": "world"}, **CONTEXT)

    assert (status, result) == (200, {"params": {"name": "world"}})
    stdout, stderr = await proxy.logs_after(1)
    out_lines, err_lines = stdout.splitlines(), stderr.splitlines()
    assert out_lines[-2:] == ["hello stdout world", SENTINEL]
    assert err_lines[-2:] == ["hello stderr", SENTINEL]


async def test_contract_success_twice_ends_each_activation(
    start_proxy: StartProxy, runtime: str
) -> None:
    proxy = await start_proxy()
    await proxy.client.init(ACTIONS["echo"][runtime])

    first = await proxy.client.run({"name": "one"})
    second = await proxy.client.run({"name": "two"})

    assert [first[1], second[1]] == [{"params": {"name": "one"}}, {"params": {"name": "two"}}]
    stdout, stderr = await proxy.logs_after(2)
    assert stdout.splitlines()[-4:] == ["hello stdout one", SENTINEL, "hello stdout two", SENTINEL]
    assert stderr.count(SENTINEL) == 2


async def test_contract_application_error_is_a_200_result(
    start_proxy: StartProxy, runtime: str
) -> None:
    proxy = await start_proxy()
    await proxy.client.init(ACTIONS["application_error"][runtime])

    assert await proxy.client.run({}) == (200, {"error": "bad input"})


EXCEPTION_ANSWERS = {
    # OpenWhisk's Python launcher: {"error": str(exc)} as the result (an application error)
    "python": (200, {"error": "boom"}),
    # OpenWhisk's Node.js runtime: a synchronous throw fails the run (a developer error)
    "nodejs": (502, {"error": "An error has occurred: Error: boom"}),
}


async def test_contract_exception_is_classified_as_openwhisk_runtimes_do(
    start_proxy: StartProxy, runtime: str
) -> None:
    proxy = await start_proxy()
    await proxy.client.init(ACTIONS["exception"][runtime])

    assert await proxy.client.run({}) == EXCEPTION_ANSWERS[runtime]
    stdout, stderr = await proxy.logs_after(1)
    assert "boom" in stderr  # the traceback goes to the logs
    assert stdout.splitlines()[-1] == SENTINEL
    assert stderr.splitlines()[-1] == SENTINEL


NON_OBJECT_ERRORS = {
    "python": "The action did not return a dictionary or array.",
    "nodejs": "The action did not return a dictionary.",
}


async def test_contract_rejected_promise_is_an_application_error(
    start_proxy: StartProxy, runtime: str
) -> None:
    if runtime != "nodejs":
        pytest.skip("promises are Node.js's")
    proxy = await start_proxy()
    await proxy.client.init(ACTIONS["rejection"][runtime])

    status, body = await proxy.client.run({})

    assert status == 200
    assert body["error"]["name"] == "TypeError" and body["error"]["message"] == "boom"
    assert body["error"]["code"] == "E_BOOM" and "boom" in body["error"]["stack"]


async def test_contract_empty_rejection_and_no_result(
    start_proxy: StartProxy, runtime: str
) -> None:
    if runtime != "nodejs":
        pytest.skip("promises are Node.js's")
    proxy = await start_proxy()
    await proxy.client.init(ACTIONS["empty_rejection"][runtime])
    assert await proxy.client.run({}) == (200, {"error": {}})
    quiet = await start_proxy()
    await quiet.client.init(ACTIONS["no_result"][runtime])
    assert await quiet.client.run({}) == (200, {})


async def test_contract_non_object_result_is_a_502(start_proxy: StartProxy, runtime: str) -> None:
    proxy = await start_proxy()
    await proxy.client.init(ACTIONS["scalar"][runtime])

    status, body = await proxy.client.run({})

    assert (status, body) == (502, {"error": NON_OBJECT_ERRORS[runtime]})
    stdout, stderr = await proxy.logs_after(1)
    assert stdout.count(SENTINEL) == stderr.count(SENTINEL) == 1


async def test_contract_array_result_is_a_200(start_proxy: StartProxy, runtime: str) -> None:
    proxy = await start_proxy()
    await proxy.client.init(ACTIONS["array"][runtime])

    assert await proxy.client.run({}) == (200, [1, "two", {"three": 3}])


async def test_contract_unexported_main_function_is_found(
    start_proxy: StartProxy, runtime: str
) -> None:
    # what the openwhisk npm client and wsk users send: a bare `function main`, no exports
    proxy = await start_proxy()
    await proxy.client.init(ACTIONS["plain_main"][runtime])

    assert await proxy.client.run({"x": 7}) == (200, {"plain": 7})


async def test_contract_async_main_is_awaited(start_proxy: StartProxy, runtime: str) -> None:
    proxy = await start_proxy()
    await proxy.client.init(ACTIONS["async_main"][runtime])

    assert await proxy.client.run({}) == (200, {"async": True})


async def test_contract_named_main_is_called(start_proxy: StartProxy, runtime: str) -> None:
    proxy = await start_proxy()
    await proxy.client.init(ACTIONS["named_main"][runtime], main="niam")

    assert await proxy.client.run({}) == (200, {"called": "niam"})


async def test_contract_zip_action_runs_with_its_modules(
    start_proxy: StartProxy, runtime: str
) -> None:
    proxy = await start_proxy()
    status, _ = await proxy.client.init(zip_base64(ZIPS[runtime]), binary=True)
    assert status == 200

    assert await proxy.client.run({"name": "zip"}) == (200, {"greeting": "hello zip"})


async def test_contract_zip_escaping_its_root_is_refused(start_proxy: StartProxy) -> None:
    proxy = await start_proxy()

    status, body = await proxy.client.init(zip_base64(ESCAPING_ZIP), binary=True)

    assert status == 502
    assert "outside" in body["error"]


async def test_contract_exit_in_main_is_a_502(start_proxy: StartProxy, runtime: str) -> None:
    proxy = await start_proxy()
    await proxy.client.init(ACTIONS["exit"][runtime])

    status, body = await proxy.client.run({})

    assert status == 502
    assert "error" in body


async def test_contract_python_zip_virtualenv_is_importable(
    start_proxy: StartProxy, runtime: str
) -> None:
    if runtime != "python":
        return  # virtualenv/ is a Python packaging convention
    proxy = await start_proxy()
    assert (await proxy.client.init(zip_base64(VIRTUALENV_ZIP), binary=True))[0] == 200

    assert await proxy.client.run({}) == (200, {"from": "virtualenv"})


async def test_contract_environment_has_run_context_and_init_env(
    start_proxy: StartProxy, runtime: str
) -> None:
    proxy = await start_proxy()
    await proxy.client.init(ACTIONS["environment"][runtime], env={"FOO": "bar"})

    status, result = await proxy.client.run({}, **CONTEXT)

    assert status == 200
    assert result["foo"] == "bar"
    expected = {f"__OW_{key.upper()}": value for key, value in CONTEXT.items()}
    assert {key: result["ow"].get(key) for key in expected} == expected


async def test_contract_environment_is_reset_for_each_run(
    start_proxy: StartProxy, runtime: str
) -> None:
    proxy = await start_proxy()
    await proxy.client.init(ACTIONS["environment"][runtime])
    await proxy.client.run({}, **CONTEXT)

    without_key = {key: value for key, value in CONTEXT.items() if key != "api_key"}
    _, result = await proxy.client.run({}, **{**without_key, "activation_id": "f" * 32})

    assert "__OW_API_KEY" not in result["ow"]
    assert result["ow"]["__OW_ACTIVATION_ID"] == "f" * 32


async def test_contract_deadline_is_passed_through(start_proxy: StartProxy, runtime: str) -> None:
    proxy = await start_proxy()
    await proxy.client.init(ACTIONS["environment"][runtime])

    _, result = await proxy.client.run({}, deadline="1999999999999")

    assert result["ow"]["__OW_DEADLINE"] == "1999999999999"


async def test_contract_large_logs_end_with_sentinels(
    start_proxy: StartProxy, runtime: str
) -> None:
    proxy = await start_proxy()
    await proxy.client.init(ACTIONS["large_logs"][runtime])

    assert await proxy.client.run({}) == (200, {"done": True})

    stdout, stderr = await proxy.logs_after(1)
    out_lines, err_lines = stdout.splitlines(), stderr.splitlines()
    assert out_lines[-1025:] == ["o" * 1023] * 1024 + [SENTINEL]
    assert err_lines[-129:] == ["e" * 1023] * 128 + [SENTINEL]


async def test_contract_large_result_is_returned_intact(
    start_proxy: StartProxy, runtime: str
) -> None:
    proxy = await start_proxy()
    await proxy.client.init(ACTIONS["large_result"][runtime])

    status, result = await proxy.client.run({"size": 2_000_000})

    assert status == 200
    assert result["data"] == "x" * 2_000_000


async def test_contract_concurrent_runs_are_served_at_once(
    start_proxy: StartProxy, runtime: str
) -> None:
    proxy = await start_proxy(concurrency=4)
    await proxy.client.init(ACTIONS["rendezvous"][runtime])

    answers = await asyncio.gather(*(proxy.client.run({"n": n}) for n in range(4)))

    assert sorted(answers, key=lambda answer: answer[1]["met"]) == [
        (200, {"met": n}) for n in range(4)
    ]
    stdout, stderr = await proxy.logs_after(4)
    assert stdout.count(SENTINEL) == stderr.count(SENTINEL) == 4


async def test_contract_init_twice_is_refused(start_proxy: StartProxy, runtime: str) -> None:
    proxy = await start_proxy()
    await proxy.client.init(ACTIONS["echo"][runtime])

    status, body = await proxy.client.init(ACTIONS["echo"][runtime])

    assert (status, body) == (403, {"error": "Cannot initialize the action more than once."})


async def test_contract_init_without_code_is_refused(start_proxy: StartProxy) -> None:
    proxy = await start_proxy()

    status, body = await proxy.client.post("/init", {"value": {"main": "main"}})

    assert (status, body) == (403, {"error": "Missing main/no code to execute."})


async def test_contract_init_with_broken_code_is_a_502(
    start_proxy: StartProxy, runtime: str
) -> None:
    proxy = await start_proxy()

    status, body = await proxy.client.init(ACTIONS["syntax_error"][runtime])

    assert status == 502
    assert "SyntaxError" in body["error"]


async def test_contract_init_with_missing_main_is_a_502(
    start_proxy: StartProxy, runtime: str
) -> None:
    proxy = await start_proxy()

    status, body = await proxy.client.init(ACTIONS["echo"][runtime], main="absent")

    assert status == 502
    assert "absent" in body["error"]


async def test_contract_run_before_init_is_a_500(start_proxy: StartProxy) -> None:
    proxy = await start_proxy()

    assert await proxy.client.run({}) == (500, {"error": "no action defined yet"})


async def test_contract_bad_json_is_a_400(start_proxy: StartProxy, runtime: str) -> None:
    proxy = await start_proxy()
    await proxy.client.init(ACTIONS["echo"][runtime])

    status, body = await proxy.client.post_raw("/run", b"{not json")

    assert status == 400
    assert "error" in body
