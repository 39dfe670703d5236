"""Hostile input, by hand: entity names, query parameters, annotations and parameters, zip
payloads (bombs, traversal, symlinks, not a zip) and malformed or oversized bodies
(tests/api/hostile_cases.py). Each is answered with a 4xx in OpenWhisk's ``{"error", "code"}``
shape, and nothing is written: the entity named is absent afterwards and the namespace holds
no entity and no activation, on every store."""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient, TestServer
from yarl import URL

from controller.app import build_app
from controller.context import Controller
from tests.api.conftest import Caller
from tests.api.hostile_cases import (
    Hostile,
    annotations,
    bodies,
    names,
    parameters,
    zips,
)
from tests.reliability_report import report
from tests.store.conftest import create_database, drop_database
from whisk.config import load_settings
from whisk.store import open_store
from whisk.store.identities import create_identity
from whisk.store.ports import Store

pytestmark = [pytest.mark.reliability, pytest.mark.timeout(300)]

MAX_REQUEST_BYTES = 4 * 1024 * 1024
COLLECTIONS = ("actions", "packages", "triggers", "rules", "activations")
TABLE = "hostile input: by hand"
HEADER = ("store", "category", "cases", "4xx in OpenWhisk's shape", "nothing written")


@dataclass
class Target:
    client: TestClient
    guest: Caller
    store_kind: str


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def target(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Target]:
    """A controller app (no invoker: invocations that got through would answer 503) on a fresh
    store of each kind, with one key."""
    cleanup: Callable[[], Any] | None = None
    if request.param == "memory":
        url = "memory://"
    elif request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path}/w.db"
    else:
        server, name = request.getfixturevalue("postgres_url"), f"whisk_hostile_{os.getpid()}"
        url = await create_database(server, name)  # open_store migrates it

        async def cleanup() -> None:
            await drop_database(server, name)

    persistence = await open_store(url)
    store: Store = persistence.store
    settings = load_settings({"HOME": str(tmp_path), "WHISK_DB_URL": url}).with_changes(
        max_request_bytes=MAX_REQUEST_BYTES, identity_cache_seconds=0.0
    )
    ctl = Controller(settings=settings, persistence=persistence, manifest=settings.load_manifest())
    client = TestClient(TestServer(build_app(ctl)))
    await client.start_server()
    key = await create_identity(store, "guest", "guest")
    try:
        yield Target(client, Caller(client, "guest", str(key)), request.param)
    finally:
        await client.close()
        await persistence.close()
        if cleanup is not None:
            await cleanup()
        shutil.rmtree(tmp_path, ignore_errors=True)


async def send(target: Target, case: Hostile) -> ClientResponse:
    """The request exactly as written: the path is not re-encoded or normalised."""
    url = URL(str(target.client.make_url("")).rstrip("/") + case.path, encoded=True)
    headers = {**target.guest.headers, **case.headers}
    session = target.client.session
    if case.raw is not None:
        return await session.request(case.method, url, data=case.raw, headers=headers)
    if case.body is not None:
        return await session.request(case.method, url, json=case.body, headers=headers)
    return await session.request(case.method, url, headers=headers)


async def refused_in_shape(target: Target, case: Hostile) -> str | None:
    """Why the answer to ``case`` is not a 4xx in OpenWhisk's error shape, or None."""
    async with await send(target, case) as response:
        status, text = response.status, await response.text()
        try:
            body = await response.json(content_type=None)
        except ValueError:
            body = None
    if not 400 <= status < 500 or (case.statuses and status not in case.statuses):
        return f"{case.label}: {status} {text[:300]}"
    ok_shape = (
        isinstance(body, dict)
        and set(body) == {"error", "code"}
        and isinstance(body["error"], str)
        and body["error"]
        and isinstance(body["code"], str)
    )
    return None if ok_shape else f"{case.label}: {status} not in shape: {text[:300]}"


async def written(target: Target) -> list[str]:
    """What the namespace holds, per collection (nothing, if all was refused)."""
    held = []
    for collection in COLLECTIONS:
        response = await target.guest.call("GET", f"/api/v1/namespaces/_/{collection}?count=true")
        count = (await response.json())[collection]
        if count:
            held.append(f"{collection}: {count}")
    return held


async def run_category(target: Target, category: str, cases: list[Hostile]) -> None:
    wrong: list[str] = []
    leaks: list[str] = []
    for case in cases:
        why = await refused_in_shape(target, case)
        if why is not None:
            wrong.append(why)
        held = await written(target)
        if held:
            leaks.append(f"{case.label}: {', '.join(held)}")
            break  # the rest would be blamed for this one's leftovers
    shaped = len(cases) - len(wrong)
    report(
        TABLE,
        HEADER,
        (target.store_kind, category, len(cases), shaped, "yes" if not leaks else "NO"),
    )
    assert not wrong, "\n".join(wrong)
    assert not leaks, "\n".join(leaks)


async def test_hostile_entity_names_are_refused(target: Target) -> None:
    await run_category(target, "entity names", names())


async def test_hostile_query_parameters_are_refused(target: Target) -> None:
    await run_category(target, "query parameters", parameters())


async def test_hostile_annotations_parameters_and_fields_are_refused(target: Target) -> None:
    await run_category(target, "annotations, parameters, fields", annotations())


async def test_hostile_zip_payloads_are_refused(target: Target) -> None:
    await run_category(target, "zip payloads", await asyncio.to_thread(zips))


async def test_malformed_and_oversized_bodies_are_refused(target: Target) -> None:
    await run_category(target, "bodies", bodies(MAX_REQUEST_BYTES))
