"""Parameters encrypted at rest, through the REST API on the memory and SQLite stores: actions'
and packages' parameters are stored encrypted and read back encrypted (OpenWhisk's GET), the
invoke message carries them encrypted with their names in ``lockedArgs``, which the invoker's
mapping decrypts; rows stored before the key was configured keep working and are encrypted
when they are next updated; triggers are stored plain, as in OpenWhisk."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest

from controller.api.http import CONTROLLER_KEY
from controller.context import Controller
from controller.invocation import InvocationConfig, InvocationService
from controller.runner import ActionRunner
from controller.throttle import MemoryThrottleCounter
from invoker.activations import run_request
from tests.api.conftest import Api, action_body
from whisk.entities.action import Action
from whisk.entities.encryption import AES256, Cipher, ParameterEncryption
from whisk.messages import ActivationMessage
from whisk.store.ports import EntityKey

NS = "/api/v1/namespaces/_"
KEY = Cipher(bytes(range(32)))
SECRET = "correct horse battery staple"


class RecordingScheduler:
    """The load balancer's publish, kept in process: records the messages."""

    def __init__(self) -> None:
        self.published: list[ActivationMessage] = []

    async def publish(self, message: ActivationMessage, **_: Any) -> asyncio.Future[Any]:
        self.published.append(message)
        done: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        done.set_result(None)
        return done


@dataclass
class Encrypting:
    api: Api
    ctl: Controller
    scheduler: RecordingScheduler

    def use(self, encryption: ParameterEncryption) -> None:
        self.ctl.settings = self.ctl.settings.with_changes(parameter_encryption=encryption)

    async def put(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        resp = await self.api.guest.call("PUT", f"{NS}/{path}?overwrite=true", body)
        assert resp.status == 200, await resp.text()
        return await resp.json()  # type: ignore[no-any-return]

    async def get(self, path: str) -> dict[str, Any]:
        resp = await self.api.guest.call("GET", f"{NS}/{path}")
        assert resp.status == 200, await resp.text()
        return await resp.json()  # type: ignore[no-any-return]

    async def stored(self, name: str, package: str | None = None) -> str:
        found = await self.api.store.get(EntityKey("guest", name, package))
        assert found is not None
        return json.dumps(found.doc)

    async def invoke(self, path: str, payload: dict[str, Any] | None = None) -> ActivationMessage:
        resp = await self.api.guest.call("POST", f"{NS}/actions/{path}", payload or {})
        assert resp.status == 202, await resp.text()
        return self.scheduler.published[-1]

    async def run_args(self, message: ActivationMessage) -> tuple[Any, dict[str, Any]]:
        """What the invoker would hand the container: (run arguments, init parameters)."""
        action = await self.api.store.get(EntityKey("guest", message.action.name))
        assert action is not None
        loaded = Action.from_stored(action.doc, action.updated)
        manifest = self.ctl.manifest
        request = run_request(message, loaded, "1", manifest, ParameterEncryption(KEY))
        return request.params, request.init_params


@pytest.fixture
async def enc(api: Api) -> AsyncIterator[Encrypting]:
    ctl = api.client.server.app[CONTROLLER_KEY]
    scheduler = RecordingScheduler()
    throttles = MemoryThrottleCounter()
    invocations = InvocationService(
        store=api.store, scheduler=scheduler, throttles=throttles, config=InvocationConfig()
    )
    ctl.runner = ActionRunner(api.store, invocations, throttles)
    setup = Encrypting(api, ctl, scheduler)
    setup.use(ParameterEncryption(KEY))
    yield setup


def params(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {p["key"]: p for p in body["parameters"]}


async def test_action_parameters_are_stored_and_read_back_encrypted(enc: Encrypting) -> None:
    body = action_body(
        parameters=[
            {"key": "password", "value": SECRET},
            {"key": "token", "value": {"deep": SECRET}, "init": True},
        ]
    )
    put = await enc.put("actions/hello", body)
    got = await enc.get("actions/hello")
    for shown in (put, got):
        p = params(shown)
        assert p["password"]["encryption"] == AES256 and p["token"]["encryption"] == AES256
        assert p["token"]["init"] is True
        assert SECRET not in json.dumps(shown)
    assert SECRET not in await enc.stored("hello")
    # the stored value is the ciphertext GET shows, and decrypts with the key
    assert KEY.decrypt(params(got)["password"]["value"]) == SECRET


async def test_invoke_message_carries_ciphertext_the_invoker_decrypts(enc: Encrypting) -> None:
    body = action_body(
        parameters=[
            {"key": "password", "value": SECRET},
            {"key": "user", "value": "ann"},
            {"key": "token", "value": "t0k", "init": True},
        ]
    )
    await enc.put("actions/hello", body)
    message = await enc.invoke("hello", {"user": "bob", "extra": 1})
    assert message.locked_args == {"password": AES256, "token": AES256}  # not the overridden
    assert SECRET not in json.dumps(message.to_json())
    assert isinstance(message.content, dict) and message.content["user"] == "bob"
    args, init = await enc.run_args(message)
    assert args == {"password": SECRET, "user": "bob", "extra": 1}
    assert init == {"token": "t0k"}


async def test_package_and_binding_parameters_are_encrypted(enc: Encrypting) -> None:
    await enc.put("packages/lib", {"parameters": [{"key": "dsn", "value": SECRET}]})
    await enc.put("actions/lib/hello", action_body())
    binding = {
        "binding": {"namespace": "guest", "name": "lib"},
        "parameters": [{"key": "region", "value": "eu-" + SECRET}],
    }
    await enc.put("packages/mine", binding)
    for name in ("lib", "mine"):
        assert SECRET not in await enc.stored(name)
        assert SECRET not in json.dumps(await enc.get(f"packages/{name}"))
    message = await enc.invoke("mine/hello")
    assert message.locked_args == {"dsn": AES256, "region": AES256}
    assert SECRET not in json.dumps(message.to_json())
    decoded = ParameterEncryption(KEY).unlock_arguments(message.content, message.locked_args)
    assert decoded == {"dsn": SECRET, "region": "eu-" + SECRET}


async def test_triggers_are_stored_plain_as_in_openwhisk(enc: Encrypting) -> None:
    await enc.put("triggers/t", {"parameters": [{"key": "a", "value": "plain"}]})
    assert "encryption" not in json.dumps(await enc.get("triggers/t"))


async def test_rows_stored_before_the_key_keep_working_and_encrypt_on_update(
    enc: Encrypting,
) -> None:
    enc.use(ParameterEncryption())  # no key yet
    await enc.put("actions/old", action_body(parameters=[{"key": "password", "value": SECRET}]))
    assert SECRET in await enc.stored("old")
    enc.use(ParameterEncryption(KEY))
    message = await enc.invoke("old")
    assert message.locked_args == {}
    assert (await enc.run_args(message))[0] == {"password": SECRET}
    # any update stores them encrypted, even one that does not send them (OpenWhisk's
    # put locks what it stores: actions migrate as they are updated)
    await enc.put("actions/old", {"annotations": [{"key": "a", "value": 1}]})
    assert SECRET not in await enc.stored("old")
    assert params(await enc.get("actions/old"))["password"]["encryption"] == AES256
    assert (await enc.run_args(await enc.invoke("old")))[0] == {"password": SECRET}


async def test_encrypted_parameters_sent_back_by_a_client_stay_as_they_are(
    enc: Encrypting,
) -> None:
    # `wsk action get` then `update` with what it printed: the ciphertext is kept, not re-sealed
    await enc.put("actions/a", action_body(parameters=[{"key": "password", "value": SECRET}]))
    shown = (await enc.get("actions/a"))["parameters"]
    await enc.put("actions/a", action_body(parameters=shown))
    assert (await enc.get("actions/a"))["parameters"] == shown
    assert (await enc.run_args(await enc.invoke("a")))[0] == {"password": SECRET}


async def test_a_key_that_is_not_base64_is_never_echoed() -> None:
    from whisk.config import SettingsError, load_settings

    secret_key = base64.b64encode(b"k" * 20).decode()  # 20 bytes: wrong length
    with pytest.raises(SettingsError) as failed:
        load_settings({"WHISK_DB_URL": "memory://", "WHISK_PARAMETER_KEY": secret_key})
    assert secret_key not in str(failed.value)
