"""Secrets on a running deployment: keys are stored only as salted hashes, and no key appears
in the database or in any service's log after it was used for writes, invokes (blocking and
not), failures and rejected calls."""

from __future__ import annotations

import asyncio
import base64

import aiohttp
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from tests.deploy.conftest import ECHO, Caller
from tests.harness import Stack


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
