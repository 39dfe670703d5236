"""Secrets on a running deployment: keys are stored only as salted hashes, and no key appears
in the database or in any service's log after it was used for writes, invokes (blocking and
not), failures and rejected calls. Parameters of actions and packages are stored encrypted
(standalone makes its key on first start; the distributed stack here is given one): the
database and the logs hold no plaintext of them, invokes (plain, through a binding, in a
sequence, as init parameters) still see the values, and a value sealed with another key fails
its activation with a clear error."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import os
import uuid as uuidlib
from collections.abc import Iterator
from typing import Any

import aiohttp
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from tests.deploy.conftest import ECHO, Caller, build_stack
from tests.harness import Stack
from whisk.entities.encryption import Cipher

# the distributed stack's key (standalone makes and keeps its own in its state dir)
PARAMETER_KEY = base64.b64encode(os.urandom(32)).decode()
# returns digests of what it was given, so neither records nor logs hold the values
DIGESTS = (
    "import hashlib, os\n"
    "def h(v):\n"
    "    return hashlib.sha256(str(v).encode()).hexdigest()\n"
    "def main(args):\n"
    "    return {'args': {k: h(v) for k, v in args.items()}, 'env': h(os.environ.get('token'))}\n"
)


@pytest.fixture(
    scope="module",
    params=[
        "standalone",
        "standalone-process",
        pytest.param("distributed", marks=[pytest.mark.kafka, pytest.mark.postgres]),
    ],
)
def stack(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stack]:
    """The deploy suite's stacks with parameters encrypted: the distributed one given a key,
    standalone asked to make its own."""
    kw: dict[str, Any] = (
        {"extra_env": {"WHISK_PARAMETER_KEY": PARAMETER_KEY}}
        if request.param == "distributed"
        else {"extra_env": {"WHISK_PARAMETER_ENCRYPTION": "on"}}
    )
    running = build_stack(request, request.param, tmp_path_factory.mktemp(request.param), **kw)
    try:
        yield running
    finally:
        running.stop()


def parameter_key(stack: Stack) -> str:
    if stack.kind == "standalone":
        return (stack.home / "state" / "parameter.key").read_text().strip()
    return PARAMETER_KEY


def digest(value: object) -> str:
    return hashlib.sha256(str(value).encode()).hexdigest()


async def dump_database(db_url: str) -> str:
    """Every row of every table, as text."""
    engine = create_async_engine(db_url)
    try:
        async with engine.connect() as conn:
            tables = ["identities", "entities", "activations", "feed_registrations"]
            rows = []
            for table in tables:
                found = await conn.execute(text(f"SELECT * FROM {table}"))
                rows.extend(str(tuple(row)) for row in found.all())
            return "\n".join(rows)
    finally:
        await engine.dispose()


async def test_keys_are_never_stored_or_logged(
    stack: Stack, session: aiohttp.ClientSession
) -> None:
    key = stack.new_namespace()
    uuid, secret = key.split(":", 1)
    caller = Caller(session, stack.apihost, key)
    await caller.action("echo", ECHO)
    status, _ = await caller.call("POST", "actions/echo", {"a": 1}, blocking="true")
    assert status == 200
    status, _ = await caller.call("POST", "actions/echo", {"a": 2})
    assert status == 202
    status, _ = await caller.call("GET", "actions/missing")
    assert status == 404
    wrong = base64.b64encode(f"{uuid}:{'x' * len(secret)}".encode()).decode()
    async with session.get(
        f"{stack.apihost}/api/v1/namespaces/_/actions", headers={"Authorization": f"Basic {wrong}"}
    ) as resp:
        assert resp.status == 401
    await asyncio.sleep(0.5)  # let the records land (written behind)

    dumped = await dump_database(stack.db_url)
    assert uuid in dumped  # the identity is there, by its uuid
    assert secret not in dumped
    assert "sha256$" in dumped  # as a salted hash
    for name in stack.logs:
        assert secret not in stack.log_text(name), f"the key's secret is in the {name} log"


async def test_parameters_are_encrypted_at_rest_and_seen_by_the_action(
    stack: Stack, session: aiohttp.ClientSession
) -> None:
    caller = Caller(session, stack.apihost, stack.new_namespace())
    secret, pkg_secret, init_secret, seq_secret = (uuidlib.uuid4().hex for _ in range(4))
    code = {"kind": "python:3.11", "code": DIGESTS}
    plain = [{"key": "password", "value": secret}, {"key": "token", "value": init_secret}]
    plain[1]["init"] = True
    for path, body in (
        ("actions/digests", {"exec": code, "parameters": plain}),
        ("packages/lib", {"parameters": [{"key": "dsn", "value": pkg_secret}]}),
        ("actions/lib/digests", {"exec": code}),
        (
            "actions/seq",
            {
                "exec": {"kind": "sequence", "components": ["/_/lib/digests"]},
                "parameters": [{"key": "seq", "value": seq_secret}],
            },
        ),
    ):
        status, reply = await caller.call("PUT", path, body, overwrite="true")
        assert status == 200, reply
    status, shown = await caller.call("GET", "actions/digests")
    assert status == 200
    assert {p["key"]: p.get("encryption") for p in shown["parameters"]} == {
        "password": "aes-256",
        "token": "aes-256",
    }

    status, record = await caller.call("POST", "actions/digests", {"x": 1}, blocking="true")
    assert status == 200, record
    result = record["response"]["result"]
    assert result["args"] == {"password": digest(secret), "x": digest(1)}
    assert result["env"] == digest(init_secret)  # the init parameter, decrypted for /init
    status, record = await caller.call("POST", "actions/digests", {"password": "given"})
    assert status == 202
    record = await caller.wait_record(record["activationId"])
    assert record["response"]["result"]["args"] == {"password": digest("given")}
    status, record = await caller.call("POST", "actions/lib/digests", {}, blocking="true")
    assert status == 200, record
    assert record["response"]["result"]["args"] == {"dsn": digest(pkg_secret)}
    status, record = await caller.call("POST", "actions/seq", {}, blocking="true")
    assert status == 200, record  # the sequence's own parameter, decrypted by the controller
    assert record["response"]["result"]["args"] == {
        "dsn": digest(pkg_secret),
        "seq": digest(seq_secret),
    }
    await asyncio.sleep(0.5)  # let the records land (written behind)

    dumped = await dump_database(stack.db_url)
    key = parameter_key(stack)
    for value in (secret, pkg_secret, init_secret, seq_secret, key):
        assert value not in dumped
    for name in stack.logs:
        log_text = stack.log_text(name)
        for value in (secret, pkg_secret, init_secret, seq_secret, key):
            assert value not in log_text, f"a secret is in the {name} log"


async def test_a_parameter_sealed_with_another_key_fails_clearly(caller: Caller) -> None:
    other = Cipher.generate()  # as if the key had changed since the value was stored
    params = [{"key": "password", "value": other.encrypt("s3cret"), "encryption": "aes-256"}]
    body = {"exec": {"kind": "python:3.11", "code": DIGESTS}, "parameters": params}
    status, reply = await caller.call("PUT", "actions/stale", body, overwrite="true")
    assert status == 200, reply
    status, record = await caller.call("POST", "actions/stale", {}, blocking="true")
    assert status == 500, record  # a whisk error (the deployment's key), not the action's
    response = record["response"]
    assert response["status"] == "whisk internal error"
    assert "'password' cannot be decrypted (aes-256)" in response["result"]["error"]
    assert "WHISK_PARAMETER_KEY" in response["result"]["error"]
    # a value the payload overrides is never decrypted: the action runs
    status, record = await caller.call("POST", "actions/stale", {"password": "p"}, blocking="true")
    assert status == 200, record
