"""Fixtures for API tests: a controller app on a real store, and callers with keys."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient, TestServer

from controller.app import build_app
from controller.context import Controller
from whisk.config import load_settings
from whisk.store import open_store
from whisk.store.identities import create_identity
from whisk.store.ports import Persistence, Store


@dataclass
class Caller:
    """An HTTP client that authenticates as one namespace."""

    client: TestClient
    namespace: str
    key: str

    @property
    def headers(self) -> dict[str, str]:
        token = base64.b64encode(self.key.encode()).decode()
        return {"Authorization": f"Basic {token}"}

    async def call(
        self, method: str, path: str, body: Any = None, raw: bytes | None = None, **kw: Any
    ) -> ClientResponse:
        headers = {**self.headers, **kw.pop("headers", {})}
        if raw is not None:
            return await self.client.request(method, path, data=raw, headers=headers, **kw)
        if body is not None:
            return await self.client.request(method, path, json=body, headers=headers, **kw)
        return await self.client.request(method, path, headers=headers, **kw)


@dataclass
class Api:
    client: TestClient
    persistence: Persistence
    guest: Caller
    other: Caller

    @property
    def store(self) -> Store:
        return self.persistence.store


@pytest.fixture(params=["memory", "sqlite"])
async def api(request: pytest.FixtureRequest, tmp_path: Any) -> AsyncIterator[Api]:
    url = "memory://" if request.param == "memory" else f"sqlite+aiosqlite:///{tmp_path}/w.db"
    persistence = await open_store(url)
    store = persistence.store
    settings = load_settings({"HOME": str(tmp_path), "WHISK_DB_URL": url}).with_changes(
        max_request_bytes=4 * 1024 * 1024, identity_cache_seconds=0.0
    )
    ctl = Controller(settings=settings, persistence=persistence, manifest=settings.load_manifest())
    client = TestClient(TestServer(build_app(ctl)))
    await client.start_server()
    guest_key = await create_identity(store, "guest", "guest")
    other_key = await create_identity(store, "other", "other")
    try:
        yield Api(
            client,
            persistence,
            Caller(client, "guest", str(guest_key)),
            Caller(client, "other", str(other_key)),
        )
    finally:
        await client.close()
        await persistence.close()


PY_CODE = "def main(args):\n    return {'greeting': 'hello ' + args.get('name', 'world')}\n"


def action_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"exec": {"kind": "python:3.11", "code": PY_CODE}}
    body.update(overrides)
    return body
